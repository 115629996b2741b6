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
        observed_ratio={m: [2.5] * 10 for m in ("saliency", "SmoothGrad", "IG")},
        observed_correct=[True] * 10,
        validation_ratio={"saliency": 3.2, "SmoothGrad": 3.1, "IG": 3.5},
        validation_images=440,
        smoothgrad_samples=500,
        smoothness={"saliency": 0.3, "SmoothGrad": 0.8},
        filter_blur={6: 0.5, 15: 0.8, 23: 0.9},
        filter_similarity={"6-15": 0.4},
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
    # A wrongly predicted observed image does not count against the per-image target.
    ratios = {m: [0.5] + [2.5] * 9 for m in ("saliency", "SmoothGrad", "IG")}
    wrong_first = _quality(observed_ratio=ratios, observed_correct=[False] + [True] * 9).checks()
    assert wrong_first["saliency: >= 2x on every correctly predicted observed image"][0]
    assert not _quality(observed_ratio=ratios).checks()["IG: >= 2x on every correctly predicted observed image"][0]
    text = str(_quality(lime_green_on_food=[math.nan] * 10))
    assert "targets:" in text and "[met]" in text


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
    from helpers.bundle.splits import predict

    images, labels, masks = validation_44
    _, background_only = eq.swap_backgrounds(images, masks)
    assert (predict(model, background_only) == labels).double().mean() <= eq.TARGETS["background_only"]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["saliency", "IG"])
def test_committed_checkpoint_gradient_maps_lie_on_the_food(
    model: torch.nn.Module, validation_44: tuple[torch.Tensor, torch.Tensor, torch.Tensor], method: str
) -> None:
    """Saliency and IG (course settings) put at least 3x the food's area share of their mass on the food,
    averaged over the 44 images. (SmoothGrad's 2.5x misses the target; README lists it.)"""
    images, labels, masks = validation_44
    maps = eq.method_maps(model, images, labels, names=(method,))
    ratio = eq.food_ratio(maps[method], masks).mean().item()
    assert ratio >= eq.TARGETS["validation_ratio"], ratio


@pytest.mark.slow
def test_committed_checkpoint_filter_activation_blurs_with_depth(model: torch.nn.Module) -> None:
    from helpers.evidence import upsample
    from helpers.filters import filter_activation
    from helpers.observe import load_observation

    images = load_observation(verbose=False).images
    blur = [eq.mean_blur(upsample(filter_activation(model, images, k, 0))) for k in eq.FILTER_LAYERS]
    assert blur == sorted(blur) and blur[0] < blur[-1], blur
