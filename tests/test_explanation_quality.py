"""Explanation quality of the committed embedded checkpoint (``python -m helpers evaluate --explanations``)
and the filter visualizations notebook 04 shows.

The unit tests check the measurements on inputs whose answer is known. The slow tests measure the
committed checkpoint: they assert the targets it meets and print the figures of the others (the
targets it misses are listed in README's "The embedded default", not asserted as if they held).
"""

from __future__ import annotations

import math

import pytest
import torch

from helpers.bundle import explanation_quality as eq
from helpers.filters import change_from_start, feature_visualization, filter_visualization, structure
from helpers.model import load_model


def test_food_ratio_is_one_for_a_uniform_map_and_grows_with_the_food() -> None:
    masks = torch.zeros(2, 8, 8, dtype=torch.bool)
    masks[:, 2:4, 2:6] = True  # 8 of 64 pixels
    uniform = torch.ones(2, 8, 8)
    assert torch.allclose(eq.food_ratio(uniform, masks), torch.ones(2, dtype=torch.float64))
    on_food = masks.float()
    assert torch.allclose(eq.food_ratio(on_food, masks), torch.full((2,), 8.0, dtype=torch.float64))


def test_swap_backgrounds_keeps_the_food_or_removes_it() -> None:
    images = torch.rand(2, 3, 32, 32)
    images[:, :, 10:20, 10:20] = torch.tensor([1.0, 0.0, 0.0])[:, None, None]  # red food
    masks = torch.zeros(2, 32, 32, dtype=torch.bool)
    masks[:, 10:20, 10:20] = True
    food_only, background_only = eq.swap_backgrounds(images, masks)
    assert torch.equal(food_only[:, :, 10:20, 10:20], images[:, :, 10:20, 10:20])
    assert torch.all(food_only[:, :, ~masks[0]] == eq.GREY)
    assert torch.equal(background_only[:, :, :5], images[:, :, :5])  # far from the food: unchanged
    red = (background_only[:, 0] > 0.9) & (background_only[:, 1] < 0.1) & (background_only[:, 2] < 0.1)
    assert red[:, 10:20, 10:20].float().mean() < 0.05  # the red square is gone


def _quality(**changes) -> eq.ExplanationQuality:
    base = dict(
        lime_green=[1] * 10,
        lime_green_on_food=[0.8] * 10,
        food_area=[0.2] * 10,
        observed_ratio={m: [2.5] * 10 for m in ("saliency", "SmoothGrad", "IG")},
        observed_correct=[True] * 10,
        validation_ratio={"saliency": 3.2, "SmoothGrad": 3.1, "IG": 3.5},
        validation_images=440,
        smoothgrad_samples=500,
        smoothness={"saliency": 0.3, "SmoothGrad": 0.8},
        filter_blur={6: 0.5, 15: 0.8, 23: 0.9},
        filter_similarity={"6-15": 0.4},
        filter_structure={6: [0.3] * 10},
        ig_error={64: [0.02] * 10, 128: [0.005] * 10, 256: [0.01] * 10},
        food_only=0.9,
        background_only=0.1,
        accuracy=0.95,
    )
    base.update(changes)
    return eq.ExplanationQuality(**base)


def test_checks_read_the_targets() -> None:
    assert all(ok for ok, _ in _quality().checks().values())
    missed = _quality(lime_green=[0] * 2 + [1] * 8, background_only=0.3).checks()
    assert not missed["LIME green region on >= 9 of 10 observed images"][0]
    assert not missed["background-only accuracy <= 2x chance (18.2%)"][0]
    # LIME's green weight on the food against the food's area, averaged over the images with a green region.
    spread = _quality(lime_green_on_food=[0.3] * 9 + [math.nan], food_area=[0.2] * 10)
    assert spread.lime_green_ratio() == pytest.approx(1.5)
    assert not spread.checks()["LIME green weight on the food >= 2x its area share"][0]
    # Per-method validation targets: SmoothGrad needs 2.5x, IG 3x.
    ratios = _quality(validation_ratio={"saliency": 2.6, "SmoothGrad": 2.6, "IG": 2.9}).checks()
    assert ratios["SmoothGrad: >= 2.5x the area share over validation"][0]
    assert not ratios["IG: >= 3x the area share over validation"][0]
    # One flat filter visualization among the ten misses the structure target.
    flat = _quality(filter_structure={6: [0.3] * 9 + [0.03]}).checks()
    assert not flat["filter visualization of cnn[6] has structure on every observed image (>= 0.15)"][0]
    # IG: the median at 128 steps and the worst image at 256.
    coarse = _quality(ig_error={64: [0.02] * 10, 128: [0.012] * 10, 256: [0.01] * 9 + [0.06]}).checks()
    assert not coarse["IG completeness: median error < 1% at 128 steps"][0]
    assert not coarse["IG completeness: every image < 5% at 256 steps"][0]
    text = str(_quality(lime_green_on_food=[math.nan] * 10))
    assert "targets:" in text and "[met]" in text and "0.50% at 128 steps" in text


def test_change_from_start_scales_each_image() -> None:
    start = torch.zeros(2, 3, 4, 4)
    result = start.clone()
    result[0, 0, 0, 0] = 5.0
    shown = change_from_start(start, result)
    assert shown.min() >= 0 and shown.max() <= 1
    assert shown[0, 0, 0, 0] == 1 and shown[0, 0].min() == 0
    assert torch.all(shown[0, 1:] == 0.5) and torch.all(shown[1] == 0.5)  # channels that did not change: grey
    shifted = start + torch.tensor([0.0, 0.8, 0.8])[:, None, None]  # one colour added everywhere, 1 pixel more
    shifted[0, 1, 2, 2] += 0.1
    assert change_from_start(start, shifted)[0, 1].max() == 1 and change_from_start(start, shifted)[0, 1, 0, 0] == 0


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return load_model(None, "cpu")


@pytest.mark.slow
@pytest.mark.parametrize("cnnid", [6, 15])
def test_regularized_visualization_has_visible_structure(model: torch.nn.Module, cnnid: int) -> None:
    start = feature_visualization(model, cnnid, 0, steps=0, progress=False)
    shown = feature_visualization(model, cnnid, 0, progress=False)  # what notebook 04 shows
    assert shown.shape == (1, 3, 48, 48) and 0 <= shown.min() and shown.max() <= 1
    spread, flat = structure(shown), structure(start)
    # Every colour channel varies across the picture far more than the faint noise it started from (a flat
    # image has 0), and the picture as a whole has visible contrast (a filter may weigh one colour little).
    assert spread.min() > 5 * flat.max() and spread.max() > 0.05, (spread, flat)


@pytest.mark.slow
def test_the_course_display_of_the_visualization_has_structure(model: torch.nn.Module) -> None:
    from helpers.observe import load_observation

    obs = load_observation(verbose=False)
    unclipped = filter_visualization(model, obs.images, 6, 0, clip=False, progress=False)
    shown = change_from_start(obs.images, unclipped)  # notebook 04's row "change (no clip)"
    assert structure(shown).min() > 0.05, structure(shown)


@pytest.fixture(scope="module")
def validation_44() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 4 first validation images of each class (44): images, labels and food masks."""
    from helpers.bundle.splits import resolve_split
    from helpers.data import FoodDataset

    folder = resolve_split(None, "validation")
    indices = eq.validation_subset(folder, 4)
    dataset = FoodDataset(folder)
    images, labels = dataset.getbatch(indices)
    assert len(indices) == 44
    return images, labels, dataset.masks(indices)


@pytest.mark.slow
def test_committed_checkpoint_does_not_read_the_class_from_the_background(
    model: torch.nn.Module, validation_44: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> None:
    """Background-only images are classified at most at twice chance. (The food-only target, 80%, is not
    met by the committed checkpoint: 77.3% here; README lists it.)"""
    from helpers.model import predict

    images, labels, masks = validation_44
    _, background_only = eq.swap_backgrounds(images, masks)
    assert (predict(model, background_only) == labels).double().mean() <= eq.TARGETS["background_only"]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["saliency", "SmoothGrad", "IG"])
def test_committed_checkpoint_gradient_maps_lie_on_the_food(
    model: torch.nn.Module, validation_44: tuple[torch.Tensor, torch.Tensor, torch.Tensor], method: str
) -> None:
    """Each gradient method (course settings) puts at least its target multiple of the food's area share of
    its mass on the food (saliency and SmoothGrad 2.5x, IG 3x), averaged over the 44 images."""
    images, labels, masks = validation_44
    maps = eq.method_maps(model, images, labels, smoothgrad_samples=50, names=(method,))
    ratio = eq.food_ratio(maps[method], masks).mean().item()
    assert ratio >= eq.TARGETS["validation_ratio"][method], ratio


@pytest.mark.slow
def test_committed_checkpoint_lime_finds_supporting_regions_on_the_food(model: torch.nn.Module) -> None:
    """LIME with the course's settings, explaining logits: a green region on at least 9 of the 10 observed
    images, with at least 2x the food's area share of the green weight on the food on average."""
    from helpers.attribution import chance_mass, mass_on_mask
    from helpers.lime_explain import lime_explain
    from helpers.observe import load_observation

    obs = load_observation(device="cpu", verbose=False)
    lime = lime_explain(model, obs.images, obs.labels, progress=False)
    green = [len(w) > 0 for w in lime.green_weights]
    ratio = (mass_on_mask(lime.green, obs.masks) / chance_mass(obs.masks)).nanmean().item()
    assert sum(green) >= eq.TARGETS["lime_green_images"], green
    assert ratio >= eq.TARGETS["lime_green_ratio"], ratio


@pytest.mark.slow
def test_committed_checkpoint_filter_visualization_has_structure(model: torch.nn.Module) -> None:
    """The course's filter visualization (cnn[6], filter 0, 100 Adam steps of 0.1) is not one flat colour on
    any observed image."""
    from helpers.observe import load_observation

    images = load_observation(device="cpu", verbose=False).images
    for layer in eq.VISUALIZED_LAYERS:
        shown = filter_visualization(model, images, layer, 0, progress=False)
        assert structure(shown).mean(1).min() >= eq.TARGETS["filter_structure"], structure(shown)


@pytest.mark.slow
def test_committed_checkpoint_filter_activation_blurs_with_depth(model: torch.nn.Module) -> None:
    from helpers.evidence import upsample
    from helpers.filters import filter_activation
    from helpers.observe import load_observation

    images = load_observation(verbose=False).images
    blur = [eq.mean_blur(upsample(filter_activation(model, images, k, 0))) for k in eq.FILTER_LAYERS]
    assert blur == sorted(blur) and blur[0] < blur[-1], blur


def test_candidate_table_has_a_row_per_checkpoint_with_its_figures() -> None:
    from dataclasses import replace

    from helpers.bundle.candidates import HEADER, Candidate, table

    best = Candidate("best", (16, 16, 32, 64, 64), 223867, 0.893, 0.614, _quality())
    weak_ig = {64: [0.03] * 10, 128: [0.0124] * 10, 256: [0.01] * 10}
    weak = replace(best, name="weak", validation=0.5, quality=_quality(lime_green=[0] * 10, ig_error=weak_ig))
    lines = table([best, weak]).splitlines()
    assert len(lines) == 4 and all(line.count("|") == len(HEADER) + 1 for line in lines)
    assert "| best | 16-16-32-64-64 | 224k | 89.3% | 61.4% | 10/10, 4.00x |" in lines[2]
    # Every target met by the reference figures; IG's median at 64 shown beside the target's 128.
    assert lines[2].endswith("| 0.30 | 2.00% / 0.50%, max 1.00% (met) | 15/15 |")
    assert "| 50.0% |" in lines[3] and "| 0/10, 4.00x |" in lines[3]
    assert lines[3].endswith("| 3.00% / 1.24%, max 1.00% (not met) | 12/15 |")


@pytest.mark.slow
def test_ig_relative_error_is_the_completeness_gap(model: torch.nn.Module) -> None:
    from helpers.integrated_gradients import integrated_gradients
    from helpers.observe import load_observation

    observed = load_observation(device="cpu", verbose=False)  # where the model fixture is
    result = integrated_gradients(model, observed.images, observed.labels, steps=64, rule="riemann_middle")
    # Recomputed from the attributions themselves: |sum - (F(x) - F(black))| / |F(x) - F(black)|.
    manual = (result.attributions.sum((1, 2, 3)) - result.score_gap).abs() / result.score_gap.abs()
    assert torch.allclose(result.relative_error, manual, rtol=1e-4)
    assert 0 < result.relative_error.median() < 0.05  # a real, finite integration error on a ReLU network
