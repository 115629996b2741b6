"""The explanation metrics of lesson 08 (helpers.explanation_metrics) on tiny synthetic tensors.

Localisation is checked against the ``quantus`` package (an independent implementation of the
pointing game, relevance mass and relevance rank accuracy); deletion/insertion against a plain per-image,
per-step loop written here; the rank correlation against scipy's ``spearmanr``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from helpers import explanation_metrics as em
from helpers.attribution import chance_mass
from helpers.evidence import rank_correlations


def tiny_model(seed: int = 0) -> nn.Module:
    """A small classifier of 3 x 8 x 8 images into 4 classes, with a BatchNorm and two pooling stages."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 8),
        nn.ReLU(),
        nn.Linear(8, 4),
    )


@pytest.fixture
def maps_and_masks() -> tuple[np.ndarray, np.ndarray]:
    """Six non-negative 8 x 8 maps (two with tied maxima, some maxima on the object) and rectangle masks."""
    rng = np.random.default_rng(3)
    maps = rng.random((6, 8, 8))
    masks = np.zeros((6, 8, 8), bool)
    for i, (r, c, h, w) in enumerate(
        [(1, 1, 3, 3), (2, 3, 4, 2), (0, 0, 8, 1), (4, 4, 4, 4), (3, 2, 2, 5), (5, 0, 2, 8)]
    ):
        masks[i, r : r + h, c : c + w] = True
    maps[1, 3, 3] = 2.0  # on the object
    maps[3, 0, 0] = maps[3, 5, 5] = 3.0  # a tie: one maximum off, one on the object
    maps[4, 7, 7] = 2.5  # off the object
    return maps, masks


def test_localisation_agrees_with_quantus(maps_and_masks) -> None:
    import quantus  # in requirements.txt; imported here because it takes seconds (pandas, OpenCV)

    maps, masks = maps_and_masks
    x, y = np.zeros((6, 1, 8, 8)), np.zeros(6, int)
    ours = {
        "PointingGame": em.pointing_game,
        "RelevanceMassAccuracy": em.relevance_mass,
        "RelevanceRankAccuracy": em.relevance_rank,
    }
    for name, ours_fn in ours.items():
        theirs = getattr(quantus, name)(disable_warnings=True)(
            model=None, x_batch=x, y_batch=y, a_batch=maps[:, None], s_batch=masks[:, None].astype(float)
        )
        mine = ours_fn(torch.from_numpy(maps), torch.from_numpy(masks)).numpy()
        np.testing.assert_allclose(mine, np.asarray(theirs, float), atol=1e-12, err_msg=name)
    hits = em.pointing_game(torch.from_numpy(maps), torch.from_numpy(masks))
    assert hits[1] == 1 and hits[3] == 1 and hits[4] == 0


def test_localisation_by_hand() -> None:
    masks = torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[:, :2, :2] = True
    masks[2] = False  # nothing to find: NaN
    perfect = masks.double()
    uniform = torch.ones(3, 4, 4)
    assert em.relevance_rank(perfect, masks)[:2].tolist() == [1.0, 1.0]
    assert em.relevance_mass(uniform, masks)[:2].tolist() == [0.25, 0.25] == chance_mass(masks)[:2].tolist()
    signed = perfect - (~masks).double()  # -1 off the object: negative relevance does not count
    assert em.relevance_mass(signed, masks)[0] == 1.0
    for metric in (em.pointing_game, em.relevance_mass, em.relevance_rank):
        assert math.isnan(metric(perfect, masks)[2])
    with pytest.raises(ValueError, match="same shape|one shape"):
        em.pointing_game(torch.rand(2, 4, 4), masks)
    with pytest.raises(ValueError, match="masks"):
        em.relevance_mass(torch.rand(2, 4, 4), None)


def reference_curves(
    model: nn.Module, images: torch.Tensor, targets: list[int], maps: torch.Tensor, kind: str, steps: int
) -> np.ndarray:
    """One image and one step at a time, pixel order from a plain argsort: the definition, no batching."""
    n, _, h, w = images.shape
    out = np.zeros((n, steps + 1))
    model.eval()
    for i in range(n):
        order = np.argsort(-maps[i].numpy().ravel(), kind="stable")
        start = images[i] if kind == "deletion" else em.blurred(images[i : i + 1])[0]
        end = torch.zeros_like(images[i]) if kind == "deletion" else images[i]
        for k in range(steps + 1):
            chosen = np.zeros(h * w, bool)
            chosen[order[: round(k / steps * h * w)]] = True
            picture = torch.where(torch.from_numpy(chosen).reshape(1, h, w), end, start)
            with torch.no_grad():
                out[i, k] = torch.softmax(model(picture[None]).double(), 1)[0, targets[i]].item()
    return out


@pytest.mark.parametrize("kind", ["deletion", "insertion"])
def test_perturbation_curves_match_a_plain_loop(kind: str) -> None:
    model = tiny_model()
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(3, 3, 8, 8, generator=generator)
    maps = torch.rand(3, 8, 8, generator=generator)
    maps[0, :2] = 0.5  # ties, broken in pixel order
    targets = [0, 2, 3]
    curves = em.perturbation_curves(model, images, targets, maps, kind=kind, steps=4, batch_size=2)
    np.testing.assert_allclose(curves.numpy(), reference_curves(model, images, targets, maps, kind, 4), atol=1e-6)
    model.train()
    again = em.perturbation_curves(model, images, targets, maps, kind=kind, steps=4, batch_size=7)
    torch.testing.assert_close(curves, again)
    assert model.training, "the model's mode must be restored"


def test_perturbed_is_a_point_of_the_curve() -> None:
    images = torch.rand(2, 3, 8, 8)
    maps = torch.rand(2, 8, 8)
    half = em.perturbed(images, maps, 0.5, "deletion")
    assert ((half == 0).all(1).flatten(1).sum(1) >= 32).all()
    assert torch.equal(em.perturbed(images, maps, 1.0, "insertion"), images)
    with pytest.raises(ValueError, match="deletion"):
        em.perturbed(images, maps, 0.5, "removal")


def test_curve_area_and_blur() -> None:
    curves = torch.tensor([[0.3] * 5, [0.0, 0.25, 0.5, 0.75, 1.0]], dtype=torch.float64)
    assert em.curve_area(curves).tolist() == pytest.approx([0.3, 0.5], abs=1e-12)
    flat = torch.full((1, 3, 12, 12), 0.4)
    torch.testing.assert_close(em.blurred(flat), flat)
    noisy = torch.rand(1, 3, 12, 12)
    assert em.blurred(noisy, 2.0).std() < noisy.std() / 2


def test_baseline_maps() -> None:
    images = torch.rand(2, 3, 9, 7)
    centre = em.centre_maps(None, images, 0)
    assert centre.shape == (2, 9, 7) and centre[0].argmax() == 4 * 7 + 3
    first, second = em.random_maps(None, images, 0), em.random_maps(None, images, 0, seed=1)
    assert first.shape == (2, 9, 7) and torch.equal(first, em.random_maps(None, images, 0))
    assert not torch.equal(first, second)


def test_cascading_randomization_from_the_top() -> None:
    model = tiny_model()
    model[1].weight.data.fill_(2.0)  # a BatchNorm as training leaves it, so that resetting it shows
    model[1].running_mean.fill_(0.5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    blocks = em.learned_layers(model)
    assert [name for name, _ in blocks] == ["8..10", "4", "0"]
    assert len(em.learned_layers(model, "layer")) == 4
    random_state = torch.random.get_rng_state()
    steps = []
    for name, copy in em.cascading_randomization(model, seed=0):
        changed = [
            k for k, v in copy.state_dict().items() if v.dtype.is_floating_point and not torch.equal(v, before[k])
        ]
        steps.append((name, sorted({k.split(".")[0] for k in changed})))
    assert torch.equal(torch.random.get_rng_state(), random_state), "the caller's random stream was consumed"
    assert steps == [
        ("trained", []),
        ("8..10", ["10", "8"]),
        ("4", ["10", "4", "8"]),
        ("0", ["0", "1", "10", "4", "8"]),
    ]
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items()), "the model was changed"
    with pytest.raises(ValueError, match="layer"):
        em.learned_layers(model, "stage")


def test_rank_correlations_agree_with_scipy() -> None:
    generator = torch.Generator().manual_seed(5)
    a = torch.rand(4, 6, 6, generator=generator)
    b = a + 0.3 * torch.rand(4, 6, 6, generator=generator)
    b[1] = torch.round(b[1] * 3)  # many ties
    a[3] = 1.0  # constant: no correlation
    ours = rank_correlations(a, b)
    for i in range(3):
        assert ours[i].item() == pytest.approx(spearmanr(a[i].flatten(), b[i].flatten()).statistic, abs=1e-12)
    assert math.isnan(ours[3])


# ---------------------------------------------------------------------------------------------------
# The lesson's summary objects (helpers.evaluate_explanations), on hand-made numbers


def test_reading_counts_the_tests_each_method_passes() -> None:
    from helpers import evaluate_explanations as ev

    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[:, 1:3, 1:3] = True  # the object: the 4 middle pixels, a quarter of the image
    on, off = masks.float(), (~masks).float()
    maps = {
        "saliency": on,
        "SmoothGrad": off,
        "IG": on,
        "LIME": off,
        "random": torch.rand(2, 4, 4),
        "centre": on * 0.5 + 0.1,
    }
    data = ev.Validation(None, torch.zeros(2, 3, 4, 4), torch.zeros(2, dtype=torch.long), masks)
    where = ev.localisation(maps, data)
    assert where.mean("saliency", "rank accuracy") == 1.0 and where.mean("LIME", "relevance mass") == 0.0

    def curves(deletion: float, insertion: float) -> dict[str, torch.Tensor]:
        return {"deletion": torch.full((2, 3), deletion), "insertion": torch.full((2, 3), insertion)}

    areas = {
        "saliency": (0.1, 0.9),
        "SmoothGrad": (0.1, 0.9),
        "IG": (0.5, 0.5),
        "LIME": (0.1, 0.9),
        "random": (0.3, 0.6),
        "centre": (0.2, 0.8),
    }
    faith = ev.Faithfulness(
        {kind: {m: curves(*a)[kind] for m, a in areas.items()} for kind in curves(0, 0)}, {}, "saliency"
    )
    finals = {"saliency": 0.1, "SmoothGrad": 0.9, "IG": 0.2, "LIME": 0.95, "centre": 1.0}
    checks = ev.Sanity(["trained", "all"], {}, {m: [1.0, c] for m, c in finals.items()}, torch.zeros(3, 4, 4))
    verdicts = ev.reading(where, faith, checks).verdicts()
    # saliency: on the food (x2, the centre map ties with it on rank: not above it), faithful, sane
    assert {m: len(v) for m, v in verdicts.items()} == {"saliency": 3, "SmoothGrad": 1, "IG": 2, "LIME": 1}
    text = str(ev.reading(where, faith, checks))
    assert "saliency: 3 of 4" in text and "0 of 4 methods do better" in text
    assert "0.100" in str(faith) and "random" in str(where) and "+all" in str(checks)


def test_load_validation_needs_masks(tmp_path) -> None:
    from PIL import Image

    from helpers.data import DataError
    from helpers.evaluate_explanations import load_validation

    Image.new("RGB", (16, 16), "white").save(tmp_path / "0_0.jpg")
    with pytest.raises(DataError, match="masks"):
        load_validation(tmp_path)
    with pytest.raises(ValueError, match="per_class"):
        load_validation(tmp_path, per_class=0)
