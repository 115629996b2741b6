"""Integrated gradients: credit each pixel with its share of the change in the class score.

Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks" (arXiv:1703.01365):

    IG_i(x) = (x_i - x'_i) * integral_0^1 dF(x' + a (x - x')) / dx_i da

for the target class score F (the logit) and a baseline x' (a black image by default). The integral
is a weighted sum over ``steps`` points a_k of the straight path (``rule``); the paper's equation 3
is the right Riemann sum a_k = k / m, k = 1..m, which includes the image itself (a = 1).
Completeness: the attributions sum to F(x) - F(x'), up to the integration error, which the result
reports per image.

Where the course code was wrong: it returned the averaged gradients without the (x - baseline)
factor (that is not integrated gradients, and completeness fails), and it sampled a = 0 .. (m-1)/m,
so the image itself (a = 1) was never evaluated (a left Riemann sum). It also ran one path point at a
time; here path points of all images share batches of ``batch_size``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.attribution import (
    batches,
    check_batch_size,
    check_images,
    check_targets,
    explaining,
    input_gradient,
    model_device,
    normalize_maps,
    target_scores,
    to_model,
)
from helpers.checks import check_int

#: Integration rules, named as captum names them (``IntegratedGradients.attribute(method=...)``);
#: each gives points a_k in [0, 1] and weights w_k summing to 1. captum's "riemann_trapezoid" is not
#: here: its weights sum to 1 - 1/m (each step is 1/m though the m points are 1/(m-1) apart).
RULES = ("riemann_right", "riemann_left", "riemann_middle", "gausslegendre")


def path_weights(steps: int, rule: str = "riemann_right") -> tuple[np.ndarray, np.ndarray]:
    """Points ``alphas`` (steps,) in [0, 1] on the path and their weights (steps,), float64."""
    steps = check_int("steps (points on the path, course: 10)", steps, 1)
    k = np.arange(steps, dtype=np.float64)
    if rule == "riemann_right":
        return (k + 1) / steps, np.full(steps, 1 / steps)
    if rule == "riemann_left":
        return k / steps, np.full(steps, 1 / steps)
    if rule == "riemann_middle":
        return (k + 0.5) / steps, np.full(steps, 1 / steps)
    if rule == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")


def make_baseline(images: torch.Tensor, baseline: torch.Tensor | float | None) -> torch.Tensor:
    """The baseline as 1 x 3 x H x W (one for all images) or N x 3 x H x W; None = black (zeros)."""
    if baseline is None:
        return torch.zeros_like(images[:1])
    if isinstance(baseline, (int, float)):
        return torch.full_like(images[:1], float(baseline))
    base = torch.as_tensor(baseline).to(images.device, images.dtype)
    if base.dim() == 3:
        base = base[None]
    if base.dim() != 4 or base.shape[1:] != images.shape[1:] or base.shape[0] not in (1, len(images)):
        raise ValueError(
            f"baseline must be a number, 3 x H x W, 1 x 3 x H x W or N x 3 x H x W matching "
            f"images {tuple(images.shape)}, got {tuple(base.shape)}"
        )
    return base


def path_images(
    image: torch.Tensor, steps: int = 10, baseline: torch.Tensor | float | None = None, rule: str = "riemann_right"
) -> torch.Tensor:
    """The points on the straight path from the baseline to one image: steps x 3 x H x W.

    ``image`` is 3 x H x W; the images are baseline + a_k (image - baseline) for the rule's a_k.
    """
    if image.dim() != 3:
        raise ValueError(f"image must be one 3 x H x W image, got {tuple(image.shape)}")
    x = image[None]
    base = make_baseline(x, baseline)
    alphas, _ = path_weights(steps, rule)
    a = torch.as_tensor(alphas, dtype=x.dtype, device=x.device)[:, None, None, None]
    return base + a * (x - base)


@dataclass
class IGResult:
    """Integrated gradients of N images."""

    attributions: torch.Tensor  # N x 3 x H x W, signed: (x - baseline) * path-averaged gradient
    maps: torch.Tensor  # N x H x W: sum over channels of |attributions|, per image in [0, 1] if normalized
    completeness_error: torch.Tensor  # N: sum(attributions) - (F(x) - F(baseline)); captum's "delta"
    score_gap: torch.Tensor  # N: F(x) - F(baseline), the target logit's change along the path

    @property
    def relative_error(self) -> torch.Tensor:
        """|completeness error| / |F(x) - F(baseline)|, N."""
        return self.completeness_error.abs() / self.score_gap.abs()


def _path_gradients(
    model: nn.Module,
    x: torch.Tensor,
    base: torch.Tensor,
    labels: torch.Tensor,
    alphas: np.ndarray,
    weights: np.ndarray,
    batch_size: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum over the path points of weight_k * gradient at ``base + alpha_k (x - base)`` (N x 3 x H x W), and
    the target score at the last point of each path (N), in batches of ``batch_size`` points that mix
    images. Row r of the flattened work list is path point r % steps of image r // steps."""
    n, steps = len(x), len(alphas)
    alpha = torch.as_tensor(alphas, dtype=x.dtype, device=x.device)
    weight = torch.as_tensor(weights, dtype=x.dtype, device=x.device)
    total = torch.zeros_like(x)
    end_scores = torch.empty(n, dtype=x.dtype, device=x.device)
    for rows in batches(n * steps, batch_size):
        r = torch.arange(rows.start, rows.stop, device=x.device)
        owner, k = r // steps, r % steps
        b = base[owner if len(base) > 1 else torch.zeros_like(owner)]
        point = b + alpha[k, None, None, None] * (x[owner] - b)
        grad, scores = input_gradient(model, point, labels[owner], mode="score")
        total.index_add_(0, owner, grad * weight[k, None, None, None])
        last = k == steps - 1
        end_scores[owner[last]] = scores[last]
    return total, end_scores


def integrated_gradients(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor | Sequence[int] | int,
    *,
    steps: int = 10,
    baseline: torch.Tensor | float | None = None,
    rule: str = "riemann_right",
    normalize: bool = True,
    batch_size: int | None = None,
) -> IGResult:
    """Integrated gradients of the target logit for each image.

    Args:
        model: the classifier (run in eval mode with frozen parameters, restored afterwards).
        images: N x 3 x H x W in [0, 1] (not modified).
        targets: N class indices whose logit is explained (the true labels for the course's figure), or one
            int for all.
        steps: points on the path (course: 10).
        baseline: None = black image (the course and the paper); a number = a constant image; or a
            tensor 3 x H x W / N x 3 x H x W.
        rule: how the path integral is summed, see :data:`RULES` (default: the paper's right Riemann
            sum; the same names give the same points and weights in captum).
        normalize: scale each map to [0, 1] on its own.
        batch_size: path points per forward/backward pass (points of several images share a
            batch); None = the device default.

    Returns:
        :class:`IGResult` with attributions, maps, completeness_error and score_gap (on ``images``'
        device).
    """
    check_images(images)
    alphas, weights = path_weights(steps, rule)
    device = model_device(model)
    batch_size = check_batch_size(batch_size, device)
    labels = check_targets(targets, len(images)).to(device)
    x = to_model(images, model)
    base = make_baseline(x, baseline)
    with explaining(model):
        total, end_scores = _path_gradients(model, x, base, labels, alphas, weights, batch_size)
        # F(x) comes free when the rule evaluates a = 1; F(baseline) needs one pass per distinct baseline.
        score_x = end_scores if alphas[-1] == 1.0 else target_scores(model, x, labels, batch_size)
        if len(base) == 1:
            with torch.no_grad():
                score_base = model(base)[0][labels]
        else:
            score_base = target_scores(model, base, labels, batch_size)
    attributions = (x - base) * total
    gap = score_x - score_base
    error = attributions.sum((1, 2, 3)) - gap
    maps = attributions.abs().sum(1)
    if normalize:
        maps = normalize_maps(maps)
    out = images.device
    return IGResult(attributions.to(out), maps.to(out), error.to(out), gap.to(out))


def completeness_errors(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor | Sequence[int] | int,
    steps: Sequence[int] = (16, 64, 128, 256),
    rule: str = "riemann_middle",
    baseline: torch.Tensor | float | None = None,
) -> dict[int, torch.Tensor]:
    """How far integrated gradients is from completeness as the path is cut finer.

    On a ReLU network the class score is only piecewise linear along the path: the integrand jumps
    wherever a unit switches, and a sum over ``m`` points misses each jump by up to one step, so the error
    falls as ``m`` grows (faster with the midpoint rule, the default here).

    Args:
        model, images, targets, baseline: as :func:`integrated_gradients` (images N x 3 x H x W).
        steps: the numbers of path points to try.
        rule: see :data:`RULES`.

    Returns:
        steps -> relative completeness error per image, N (float, CPU): |sum of attributions -
        (F(x) - F(baseline))| / |F(x) - F(baseline)|.
    """
    return {
        n: integrated_gradients(model, images, targets, steps=n, rule=rule, baseline=baseline).relative_error.cpu()
        for n in steps
    }


def completeness_table(errors: dict[int, torch.Tensor]) -> str:
    """:func:`completeness_errors`' result in words: median and largest error per number of steps."""
    lines = ["relative completeness error |sum of attributions - score change| / |score change|, over the images:"]
    lines += [f"  {n:4d} steps: median {e.median():6.2%}, largest {e.max():6.2%}" for n, e in errors.items()]
    return "\n".join(lines)
