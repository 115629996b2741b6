"""Do the explanations reflect what the trained embedded model learned? Checked on the embedded data.

* Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim 2018, "Sanity Checks for Saliency Maps"
  (arXiv:1810.03292): a method's maps must change when the model's weights are randomized (else they
  show the image, not the model), while the same model gives the same maps every time.
* The embedded images come with ground-truth food masks, so the share of each method's attribution
  that falls on the food can be measured; a model that learned the food should put its saliency there
  more than a map spread evenly would (the mask's share of the pixels).

These tests need the committed checkpoint (data/checkpoints/embedded.pt): without it they fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.attribution import chance_mass, mass_on_mask, randomized_copy
from helpers.bundle.explanation_quality import TARGETS
from helpers.evidence import rank_correlations
from helpers.filters import filter_activation
from helpers.instructor.cnn_key import LIME_IMAGES
from helpers.integrated_gradients import completeness_errors, integrated_gradients
from helpers.saliency import saliency
from helpers.smoothgrad import smoothgrad

#: The trained model's maps come from the session's one run of the methods (tests/conftest.py).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(course_run):
    """The embedded model (CPU), the ten observation images, their labels and food masks."""
    obs = course_run.obs
    assert obs.masks is not None, "the embedded food/ folder must have masks/"
    return obs.model, obs.images, obs.labels, obs.masks


@pytest.fixture(scope="module")
def maps(course_run, trained) -> dict[str, torch.Tensor]:
    """Each method's non-negative maps N x 128 x 128 for the ten observation images, with the course's
    settings (the session's run of the methods)."""
    model, images, _, _ = trained
    return {
        "saliency": course_run.saliency,
        "smoothgrad": course_run.smoothgrad,
        "integrated gradients": course_run.ig.maps,
        "filter 6:0 activation": filter_activation(model, images, 6, 0).clamp(min=0),
    }


@pytest.fixture(scope="module")
def randomized_saliency(trained) -> torch.Tensor:
    """Saliency maps N x 128 x 128 of the model with all weights re-initialized (Adebayo et al. 2018)."""
    model, images, labels, _ = trained
    return saliency(randomized_copy(model, seed=0), images, labels)


def test_same_model_same_maps(course_run, trained) -> None:
    model, images, labels, _ = trained
    assert torch.equal(saliency(model, images, labels), course_run.saliency)
    kwargs = dict(samples=8, progress=False)
    assert torch.equal(
        smoothgrad(model, images[:3], labels[:3], **kwargs), smoothgrad(model, images[:3], labels[:3], **kwargs)
    )


def test_randomized_weights_change_the_saliency_maps(course_run, trained, randomized_saliency) -> None:
    """Adebayo et al.'s model-randomization test: low rank correlation with the trained model's maps."""
    model, images, labels, _ = trained
    ours = course_run.saliency
    rho = rank_correlations(ours, randomized_saliency).numpy()
    print("rank correlation, trained vs randomized weights, per image:", np.round(rho, 2))
    assert np.median(rho) < 0.3, rho
    # The yardstick: the same model's maps under a small change of the input agree far better.
    nudged = saliency(model, (images + 0.01 * torch.randn_like(images)).clamp(0, 1), labels)
    assert np.median(rank_correlations(ours, nudged)) > np.median(rho) + 0.3


def test_integrated_gradients_completeness_on_the_trained_model(trained) -> None:
    model, images, labels, _ = trained
    # This ReLU network's score is only piecewise smooth along the path: the integrand jumps wherever a
    # unit switches, and the midpoint rule misses each jump by up to half a step. The accepted target:
    # median error < 1% at 128 midpoint steps, every image < 5% at 256 (Sundararajan et al. 2017: 20-300
    # steps to get within 5%), and the error falling as the steps grow (64 steps printed beside them).
    (steps, bound), (worst_steps, worst_bound) = TARGETS["ig_median"], TARGETS["ig_worst"]
    errors = completeness_errors(model, images, labels, (16, 64, steps, worst_steps))
    for n, error in errors.items():
        print(f"relative completeness error at {n} steps:", error.numpy().round(4))
    assert errors[steps].median() < bound
    assert errors[worst_steps].max() < worst_bound
    assert errors[steps].median() < errors[16].median() / 3
    gap = integrated_gradients(model, images, labels, steps=1).score_gap
    assert (gap.abs() > 0.1).all()  # the gap itself is not vanishing


def test_trained_saliency_lies_on_the_food_above_chance(course_run, trained, maps, randomized_saliency) -> None:
    model, images, labels, masks = trained
    chance = chance_mass(masks)
    shares = {name: mass_on_mask(m, masks) for name, m in maps.items()}
    print(f"\n{'image':<7}{'food area':>10}" + "".join(f"{name:>24}" for name in shares))
    for i in range(len(images)):
        print(f"#{i:<6}{chance[i]:>10.1%}" + "".join(f"{share[i]:>24.1%}" for share in shares.values()))
    means = "".join(f"{share.nanmean():>24.1%}" for share in shares.values())
    print(f"{'mean':<7}{chance.mean():>10.1%}" + means)
    # LIME's supporting weight, on the images the run explained with LIME (the questions' images).
    lime = mass_on_mask(course_run.lime.maps.clamp(min=0), masks[list(LIME_IMAGES)])
    print("LIME (supporting) on images", LIME_IMAGES, ":", [f"{v:.1%}" for v in lime.tolist()])
    for name, share in {**shares, "LIME (supporting)": lime}.items():
        assert ((share >= 0) & (share <= 1) | share.isnan()).all(), name
    saliency_share = shares["saliency"]
    assert saliency_share.mean() > chance.mean() + 0.05
    assert (saliency_share > chance).sum() >= 7  # most images, not one outlier
    # The trained model, not the image alone, puts it there: randomized weights do not.
    assert saliency_share.mean() > mass_on_mask(randomized_saliency, masks).mean()
