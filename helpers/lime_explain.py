"""LIME: explain one prediction by a linear model of which superpixels are shown or hidden.

Ribeiro, Singh & Guestrin 2016, '"Why Should I Trust You?": Explaining the Predictions of Any
Classifier' (arXiv:1602.04938). The image is cut into superpixels (scikit-image SLIC, as the course:
about 200 segments, compactness 1, sigma 1); ``num_samples`` random on/off patterns of superpixels
are drawn, hidden superpixels painted with their mean colour, the model's probability of the label
recorded for each pattern, and a ridge regression (weighted by closeness to the full image) gives each
superpixel a weight. The ``lime`` package does the drawing, weighting and regression.

Where the course code was wrong: SLIC's ``start_label=1`` gave segment ids 1..S while lime treats
ids as feature indices 0..S-1, so feature 0 was an empty segment and superpixel S was never hidden
nor explained (here ids are 0..S-1); its classifier function returned logits where lime expects
probabilities; and it asked for the top 5 labels, so the true label's explanation was missing
(a KeyError) whenever the model ranked it lower (here the label asked for is always explained).
lime builds each perturbed image with a Python loop over its hidden superpixels and calls the model
on batches of 10; here the images are built with one indexing operation per batch (same random
draws, same images) and the model runs on batches of ``batch_size``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from lime.lime_image import LimeImageExplainer
from skimage.segmentation import mark_boundaries, slic
from torch import nn
from tqdm.auto import tqdm

from helpers.attribution import (
    batches,
    check_batch_size,
    check_images,
    check_targets,
    explaining,
    model_device,
    to_model,
)


def segment(image: np.ndarray, num_segments: int = 200, compactness: float = 1.0,
            sigma: float = 1.0) -> np.ndarray:
    """SLIC superpixels of an H x W x 3 image in [0, 1]: int H x W with ids 0..S-1, each used.

    The ids are what lime expects: feature ``j`` of its on/off patterns is the pixels ``== j``.
    """
    labels = slic(image, n_segments=num_segments, compactness=compactness, sigma=sigma, start_label=0)
    _, consecutive = np.unique(labels, return_inverse=True)  # no gaps, whatever SLIC merged
    return consecutive.reshape(labels.shape)


def probabilities(model: nn.Module, batch_size: int) -> Callable[[np.ndarray], np.ndarray]:
    """lime's classifier function: B x H x W x 3 images in [0, 1] -> B x classes softmax probabilities.

    The model runs on batches of ``batch_size`` and must already be in eval mode.
    """
    def classify(images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
        out = []
        with torch.inference_mode():
            for part in batches(len(x), batch_size):
                out.append(torch.softmax(model(to_model(x[part], model)).double(), 1).cpu())
        return torch.cat(out).numpy()

    return classify


class _Explainer(LimeImageExplainer):
    """lime's image explainer with its perturbed images built per batch instead of per pixel loop.

    The on/off patterns come from the same random draws in the same order, and a pattern's image is
    the same (hidden superpixels take ``fudged_image``'s pixels), so the explanation is lime's own.
    """

    def __init__(self, *args, bar: tqdm | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bar = bar

    def data_labels(self, image: np.ndarray, fudged_image: np.ndarray, segments: np.ndarray,
                    classifier_fn: Callable[[np.ndarray], np.ndarray], num_samples: int,
                    batch_size: int = 10, **_: object) -> tuple[np.ndarray, np.ndarray]:
        n_features = np.unique(segments).shape[0]
        data = self.random_state.randint(0, 2, num_samples * n_features).reshape((num_samples, n_features))
        data[0, :] = 1  # the first sample is the image itself
        labels = []
        for rows in batches(num_samples, batch_size):
            shown = data[rows][:, segments].astype(bool)  # B x H x W: is the pixel's superpixel on?
            labels.append(classifier_fn(np.where(shown[..., None], image, fudged_image)))
            if self.bar is not None:
                self.bar.update(rows.stop - rows.start)
        return data, np.concatenate(labels)


@dataclass
class LimeResult:
    """LIME's explanation of one image for one label."""

    label: int  # the class explained
    segments: np.ndarray  # H x W int superpixel ids 0..S-1
    weights: np.ndarray  # S: each superpixel's weight in the local linear model (+ supports the label)
    image: np.ndarray  # H x W x 3 in [0, 1]: green = supports, red = against, region boundaries drawn
    mask: np.ndarray  # H x W int: 1 supporting, -1 opposing, 0 not shown (num_features / min_weight)
    score: float  # R^2 of the local linear model on the samples (how well it mimics the model)
    probability: float  # the model's probability of ``label`` for the whole image

    def weight_map(self) -> np.ndarray:
        """H x W: each pixel carries its superpixel's weight (signed)."""
        return self.weights[self.segments]


def weight_maps(results: Sequence[LimeResult]) -> torch.Tensor:
    """The signed weight maps of several results as one float64 tensor N x H x W (``.clamp(min=0)``
    keeps the supporting part, e.g. to measure it with :func:`helpers.attribution.mass_on_mask`)."""
    return torch.stack([torch.from_numpy(r.weight_map()) for r in results])


def lime_explain(model: nn.Module, images: torch.Tensor, labels: torch.Tensor | Sequence[int], *,
                 num_segments: int = 200, compactness: float = 1.0, sigma: float = 1.0,
                 num_samples: int = 1000, num_features: int = 11, min_weight: float = 0.05,
                 hide_color: float | None = None, batch_size: int | None = None, seed: int = 0,
                 progress: bool = True) -> list[LimeResult]:
    """LIME explanations of each image for its label, with the course's settings as defaults.

    Args:
        model: the classifier (run in eval mode, restored afterwards).
        images: N x 3 x H x W in [0, 1] (not modified).
        labels: N class indices to explain (the true labels for the course's figure).
        num_segments, compactness, sigma: SLIC's settings (course: 200, 1, 1).
        num_samples: random on/off patterns per image (lime's default 1000).
        num_features, min_weight: which superpixels the rendered image colours (course: the 11 with
            the largest |weight|, of at least 0.05).
        hide_color: the colour of hidden superpixels; None = each superpixel's mean colour (lime's
            default, the course's).
        batch_size: images per forward pass; None = the device default.
        seed: seeds each image's sampling (the same for every image, so a result does not depend on
            which other images were explained with it).
        progress: show a progress bar over the samples.

    Returns:
        one :class:`LimeResult` per image.
    """
    check_images(images)
    targets = check_targets(labels, len(images)).tolist()
    batch_size = check_batch_size(batch_size, model_device(model))
    pictures = images.detach().permute(0, 2, 3, 1).to("cpu", torch.float64).numpy()
    results = []
    with explaining(model), tqdm(total=len(images) * num_samples, desc="LIME", unit="sample",
                                 disable=not progress) as bar:
        classify = probabilities(model, batch_size)
        for picture, label in zip(pictures, targets, strict=True):
            segments = segment(picture, num_segments, compactness, sigma)
            explainer = _Explainer(random_state=seed, bar=bar)
            explanation = explainer.explain_instance(
                picture, classify, labels=(label,), top_labels=None, hide_color=hide_color,
                num_samples=num_samples, batch_size=batch_size, segmentation_fn=lambda _, s=segments: s,
                random_seed=seed)
            weights = np.zeros(int(segments.max()) + 1)
            for feature, weight in explanation.local_exp[label]:
                weights[feature] = weight
            tinted, mask = explanation.get_image_and_mask(label, positive_only=False, negative_only=False,
                                                          hide_rest=False, num_features=num_features,
                                                          min_weight=min_weight)
            results.append(LimeResult(
                label=label, segments=segments, weights=weights,
                image=np.clip(mark_boundaries(tinted, mask), 0, 1), mask=mask, score=float(explanation.score),
                probability=float(classify(picture[None])[0, label])))
    return results
