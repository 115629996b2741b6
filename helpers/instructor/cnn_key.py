"""Instructor side (left out of the student release): the answer keys and how the embedded one is derived.

Two keys live in ``data/keys/``:

- ``course.json``: the answers the course's own data and checkpoint gave (from the homework's
  specification), mapped onto the options the notebooks print;
- ``embedded.json``: the answers for the bundle's embedded data and checkpoint. They are *derived*:
  :func:`derive_embedded_key` runs each method with the notebooks' course-default parameters and seeds,
  measures what a question asks with :mod:`helpers.evidence` (the same measurements the notebooks'
  evidence cells print), and maps each measurement to a letter with the simple rules below. Conceptual
  questions (3, 5, 6, 10, 13, 14, 17, 20) have the same answer on every data set; Q14's rule reads the
  layer type of ``model.cnn[6]``.

The thresholds of the rules:

- A map's mass *concentrates* on a region when it is at least 1.5 times as dense inside the region as
  outside it (:data:`LIFT`; ``evidence.Share.lift``, which the evidence cells print). Among the regions
  a question offers (e.g. the food, the image's border frame, the background), :func:`densest` picks the
  densest; none that dense: the mass is spread, nothing in particular.
- Two sets of maps are "practically the same" / "no significant change" when their mean pixel rank
  correlation is at least :data:`SAME`; activated places are "roughly similar" when the mean rank
  correlation between two layers' maps is at least :data:`SIMILAR`.
- "Main evidence": one part has at least :data:`DOMINANT` times the green mass of the other; the two
  parts together must hold at least :data:`HOLDS` of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from helpers.evidence import FoodShares, LayerComparison, StepsComparison, Where
from helpers.instructor import keys

if TYPE_CHECKING:
    from helpers.integrated_gradients import IGResult
    from helpers.lime_explain import LimeResult

#: The key files' API (helpers.instructor.keys), reachable from here as before.
key_path, letters, read_key, write_key = keys.key_path, keys.letters, keys.read_key, keys.write_key

#: Questions of the CNN part (this module's); entries for other numbers in a key file are kept as they are.
CNN_QUESTIONS = range(1, 21)

HOLDS = 0.5
LIFT = 1.5
SAME = 0.8
SIMILAR = 0.3
DOMINANT = 1.5
#: Mean share of mass on the food below which two methods count as equally close to the food.
FOOD_MARGIN = 0.02

#: The course's parameters, as the notebooks' parameters cells hold them (a test compares the two).
COURSE_DEFAULTS: dict[str, dict[str, Any]] = {
    "01_lime": {
        "num_samples": 1000,
        "num_segments": 200,
        "compactness": 1.0,
        "sigma": 1.0,
        "num_features": 11,
        "min_weight": 0.05,
        "seed": 0,
    },
    "02_saliency_map": {"mode": "loss"},
    "03_smooth_grad": {"samples": 500, "noise_level": 0.4, "seed": 0},
    "04_filter_explanation": {
        "cnnid": 6,
        "filterid": 0,
        "iterations": 100,
        "lr": 0.1,
        "deep_cnnid": 23,
        "contour_cnnid": 15,
    },
    "05_integrated_gradients": {"steps": 10, "more_steps": 100},
}

#: Answers that do not depend on the data (the same letters as in the course key).
CONCEPTUAL = {3: "D", 5: "A", 6: "C", 10: "B", 13: "A", 17: "AD", 20: "B"}
#: Q14: the letter of each layer type.
LAYER_LETTERS = {"ReLU": "A", "Conv2d": "B", "BatchNorm2d": "C", "MaxPool2d": "D"}


# ---------------------------------------------------------------------------------------------------
# Rules: measurements -> letters


def densest(w: Where, candidates: tuple[str, ...]) -> str | None:
    """The candidate region whose mass is densest relative to the rest of the image (``Share.lift``), or
    None when none is at least :data:`LIFT` times as dense."""
    lifts = {name: w[name].lift for name in candidates if name in w.shares and not math.isnan(w[name].lift)}
    if not lifts:
        return None
    best = max(lifts, key=lifts.get)
    return best if lifts[best] >= LIFT else None


def locate(w: Where, target: str) -> str:
    """``"target"``, ``"border"`` or ``"background"``: the densest of these regions (see :func:`densest`);
    ``"spread"`` when none is :data:`LIFT` times as dense as the rest of the image."""
    verdict = {target: "target", "border": "border", "background": "background"}
    return verdict.get(densest(w, tuple(verdict)), "spread")


def rule_q1(green: Where) -> str:
    """LIME #6, green mass: on the food B, background A, border C, spread D."""
    return {"target": "B", "background": "A", "border": "C", "spread": "D"}[locate(green, "food")]


def rule_q2(green_regions: int, red_regions: int) -> str:
    """LIME #1, regions shown: A if any green, B if any red, C if green and no red, D if none at all."""
    letters = ("A" if green_regions else "") + ("B" if red_regions else "")
    if green_regions and not red_regions:
        letters += "C"
    return letters or "D"


def rule_q4(green: Where) -> str:
    """LIME #4, green mass on the parts: D when LIME draws no green region (neither part supports the
    class) or the two parts hold less than half of it together; else the part with :data:`DOMINANT`
    times the other's mass (steak C, side A), or B when neither dominates."""
    if not green.total > 0:  # the shares would be NaN, and every comparison below False
        return "D"
    steak, side = green["steak"].mass, green["side"].mass
    if steak + side < HOLDS:
        return "D"
    if steak >= DOMINANT * side:
        return "C"
    if side >= DOMINANT * steak:
        return "A"
    return "B"


def rule_q7(saliency: Where) -> str:
    """Saliency #0: C (a cube) when the cube is the densest region (see :func:`locate`), else D (no shape).

    The ring and stick options are never derived: no mask marks a plate rim or cutlery.
    """
    return "C" if locate(saliency, "cube") == "target" else "D"


def rule_q8(saliency: Where) -> str:
    """Saliency #1: when the handle is at least :data:`LIFT` times as dense as the rest, the handle's own
    position (right third D, left third A, top third B); otherwise C (no handle shows)."""
    handle = saliency["handle"]
    if not handle.lift >= LIFT:
        return "C"
    row, col = handle.centre
    if col >= 2 / 3:
        return "D"
    if col < 1 / 3:
        return "A"
    return "B" if row < 1 / 3 else "C"


def rule_q9(saliency: Where) -> str:
    """Saliency #2: food A, background B, border C, spread D (see :func:`locate`)."""
    return {"target": "A", "background": "B", "border": "C", "spread": "D"}[locate(saliency, "food")]


def rule_q11(shares: FoodShares) -> str:
    """Mean share on the food, SmoothGrad minus saliency: above :data:`FOOD_MARGIN` A, below minus it B,
    else C. (D, random noise, is never derived.)"""
    diff = shares.mean("SmoothGrad") - shares.mean("saliency")
    return "A" if diff > FOOD_MARGIN else "B" if diff < -FOOD_MARGIN else "C"


def rule_q12(smooth: Where) -> str:
    """SmoothGrad #9: the densest of rim (C), soup (A), background (B); D when none reaches :data:`LIFT`."""
    letter = {"rim": "C", "soup": "A", "background": "B", None: "D"}
    return letter[densest(smooth, ("rim", "soup", "background"))]


def rule_q14(layer: torch.nn.Module) -> str:
    """The letter of ``model.cnn[6]``'s type."""
    return LAYER_LETTERS[type(layer).__name__]


def rule_q15(layers: LayerComparison) -> str:
    """Deep vs shallow layer: blurrier when the deep maps' neighbour correlation is higher; similar places
    when the mean rank correlation reaches :data:`SIMILAR`. Blurrier+similar B, blurrier+unrelated D,
    sharper+similar C, sharper+unrelated A."""
    blurrier = layers.mean_blur(1) > layers.mean_blur(0)
    similar = layers.mean_correlation >= SIMILAR
    letter = {(True, True): "B", (True, False): "D", (False, True): "C", (False, False): "A"}
    return letter[(blurrier, similar)]


def rule_q16(activation: Where) -> str:
    """Activation #1 at cnnid 15: the densest of outline (A), inside (B), background (C); D when none
    reaches :data:`LIFT`."""
    return {"outline": "A", "inside": "B", "background": "C", None: "D"}[
        densest(activation, ("outline", "inside", "background"))
    ]


def rule_q18(attribution: Where) -> str:
    """Integrated gradients #7: steak D, background A, border B, spread C (see :func:`locate`)."""
    return {"target": "D", "background": "A", "border": "B", "spread": "C"}[locate(attribution, "steak")]


def rule_q19(steps: StepsComparison) -> str:
    """More steps vs the default: the setting with the most steps is compared. Mean rank correlation at
    least :data:`SAME`: C (no significant change); negative: B; otherwise sharper (A) when the brightest
    pixels hold more of the mass than at the default, else noisier (D)."""
    most = list(steps.correlation)[-1]
    corr = float(torch.tensor(steps.correlation[most]).nanmean())
    if corr >= SAME:
        return "C"
    if corr < 0:
        return "B"
    top_ref = float(torch.tensor(steps.top[steps.reference]).nanmean())
    top_most = float(torch.tensor(steps.top[most]).nanmean())
    return "A" if top_most > top_ref else "D"


# ---------------------------------------------------------------------------------------------------
# Deriving the embedded key


#: The observed images whose LIME explanations the questions read (Q4: #4, Q2: #1, Q1: #6).
LIME_IMAGES = (1, 4, 6)


@dataclass(frozen=True)
class CourseRun:
    """Every explanation method run once on the observed images as the notebooks run it, with
    :data:`COURSE_DEFAULTS` (also what the tests share instead of running the methods again)."""

    obs: Any  # the helpers.observe.Observation explained
    lime: LimeResult  # LIME of the images LIME_IMAGES (in that order)
    saliency: torch.Tensor  # N x H x W, normalized (02)
    smoothgrad: torch.Tensor  # N x H x W, normalized after averaging (03)
    ig: IGResult  # integrated gradients at ``steps`` (05)
    finer_ig: IGResult  # integrated gradients at ``more_steps`` (05)


def run_course_methods(obs=None, progress: bool = False) -> CourseRun:
    """Run LIME, saliency, SmoothGrad and integrated gradients with :data:`COURSE_DEFAULTS`.

    ``obs``: an :class:`~helpers.observe.Observation`; default: the embedded data and checkpoint. LIME's
    sampling is seeded per image, so explaining only :data:`LIME_IMAGES` gives the notebook's results;
    SmoothGrad draws the noise of all ten images from one stream, so it runs on all ten.
    """
    from helpers.attribution import normalize_maps
    from helpers.integrated_gradients import integrated_gradients
    from helpers.lime_explain import lime_explain
    from helpers.observe import load_observation
    from helpers.saliency import saliency
    from helpers.smoothgrad import smoothgrad

    if obs is None:
        obs = load_observation(verbose=False)
    model, images, labels = obs.model, obs.images, obs.labels
    picked = list(LIME_IMAGES)
    lime = lime_explain(model, images[picked], labels[picked], **COURSE_DEFAULTS["01_lime"], progress=progress)
    plain = saliency(model, images, labels, **COURSE_DEFAULTS["02_saliency_map"])
    smooth = normalize_maps(
        smoothgrad(model, images, labels, **COURSE_DEFAULTS["03_smooth_grad"], normalize=False, progress=progress)
    )
    ig_args = COURSE_DEFAULTS["05_integrated_gradients"]
    ig = integrated_gradients(model, images, labels, steps=ig_args["steps"])
    finer = integrated_gradients(model, images, labels, steps=ig_args["more_steps"])
    return CourseRun(obs, lime, plain, smooth, ig, finer)


def measure_embedded(obs=None, progress: bool = False, run: CourseRun | None = None) -> dict[int, Any]:
    """Per image-specific question, the measurement its rule reads (the same call its notebook's evidence
    cell prints), from the methods' results with :data:`COURSE_DEFAULTS`.

    ``run``: the results of :func:`run_course_methods` (computed from ``obs`` when None).
    """
    from helpers.evidence import compare_layers, compare_settings, food_shares, regions_of, upsample, where
    from helpers.filters import filter_activation

    if run is None:
        from helpers.observe import load_observation

        obs = load_observation(verbose=False) if obs is None else obs
        if obs.masks is None:
            raise ValueError("the key can only be derived for data with food and part masks (the embedded data).")
        run = run_course_methods(obs, progress)
    obs = run.obs
    model, images = obs.model, obs.images
    lime = {image: row for row, image in enumerate(LIME_IMAGES)}
    out: dict[int, Any] = {
        1: where(run.lime.green[lime[6]], regions_of(obs, 6)),
        2: (len(run.lime.green_weights[lime[1]]), len(run.lime.red_weights[lime[1]])),
        4: where(run.lime.green[lime[4]], regions_of(obs, 4)),
        11: food_shares({"saliency": run.saliency, "SmoothGrad": run.smoothgrad}, obs.masks),
        12: where(run.smoothgrad[9], regions_of(obs, 9)),
        18: where(run.ig.maps[7], regions_of(obs, 7)),
        19: compare_settings({"default": run.ig.maps, "more": run.finer_ig.maps}),
    }
    for q, i in ((7, 0), (8, 1), (9, 2)):
        out[q] = where(run.saliency[i], regions_of(obs, i))

    f = COURSE_DEFAULTS["04_filter_explanation"]
    out[14] = model.cnn[f["cnnid"]]
    out[15] = compare_layers(
        filter_activation(model, images, f["cnnid"], f["filterid"]),
        filter_activation(model, images, f["deep_cnnid"], f["filterid"]),
    )
    contour = filter_activation(model, images, f["contour_cnnid"], f["filterid"])
    out[16] = where(upsample(contour)[1], regions_of(obs, 1))
    return out


RULES = {
    1: rule_q1,
    2: lambda counts: rule_q2(*counts),
    4: rule_q4,
    7: rule_q7,
    8: rule_q8,
    9: rule_q9,
    11: rule_q11,
    12: rule_q12,
    14: rule_q14,
    15: rule_q15,
    16: rule_q16,
    18: rule_q18,
    19: rule_q19,
}


def derive_embedded_key(obs=None, progress: bool = False, run: CourseRun | None = None) -> dict[int, str]:
    """{question: letters} for questions 1-20 on the embedded data: measured ones by :data:`RULES`,
    conceptual ones from :data:`CONCEPTUAL` (``run``: the methods' results, see :func:`measure_embedded`)."""
    return _answers(measure_embedded(obs, progress, run))


def _answers(measured: dict[int, Any]) -> dict[int, str]:
    key = {**CONCEPTUAL, **{q: rule(measured[q]) for q, rule in RULES.items()}}
    return {q: key[q] for q in sorted(key)}


def differences_from_course(answers: dict[int, str], measured: dict[int, Any]) -> dict[int, str]:
    """{question: note} for each derived answer that differs from the course's key: the course's answer
    and the measurement the rule read (what the notebook's evidence cell prints), in one line."""
    course = letters(read_key("course"))
    return {
        q: f"The course's answer is {course[q]}; measured on the embedded data: " + " ".join(str(measured[q]).split())
        for q, answer in answers.items()
        if q in course and course[q] != answer
    }


def write_embedded_key(obs=None, progress: bool = True) -> Path:
    """Derive the embedded key and store it in ``data/keys/embedded.json`` (other questions' entries kept),
    each answer that differs from the course's with a note of the measurement behind it."""
    measured = measure_embedded(obs, progress)
    answers = _answers(measured)
    return write_key(
        "embedded",
        "embedded",
        "Embedded synthetic data and checkpoint; questions 1-20 derived by helpers.instructor.cnn_key "
        "from measurements with the course's default parameters.",
        answers,
        differences_from_course(answers, measured),
    )
