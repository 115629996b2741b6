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

import json
import math
from pathlib import Path
from typing import Any

import torch

from helpers import paths
from helpers.evidence import FoodShares, LayerComparison, StepsComparison, Where

KEYS = paths.DATA / "keys"
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
    "01_lime": {"num_samples": 1000, "num_segments": 200, "compactness": 1.0, "sigma": 1.0,
                "num_features": 11, "min_weight": 0.05, "seed": 0},
    "02_saliency_map": {"mode": "loss"},
    "03_smooth_grad": {"samples": 500, "noise_level": 0.4, "seed": 0},
    "04_filter_explanation": {"cnnid": 6, "filterid": 0, "iterations": 100, "lr": 0.1,
                              "deep_cnnid": 23, "contour_cnnid": 15},
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
        densest(activation, ("outline", "inside", "background"))]


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
# Key files


def key_path(name: str) -> Path:
    return KEYS / f"{name}.json"


def read_key(name: str) -> dict[str, Any]:
    """``data/keys/<name>.json`` as stored."""
    return json.loads(key_path(name).read_text(encoding="utf-8"))


def letters(key: dict[str, Any]) -> dict[int, str]:
    """{question: letters} of a key file's content."""
    return {int(n): entry["answer"] for n, entry in key["questions"].items()}


def write_key(name: str, dataset: str, description: str | None, answers: dict[int, str]) -> Path:
    """Write ``answers`` into ``data/keys/<name>.json``; entries of other questions already there are kept,
    and so is the file's description when ``description`` is None."""
    path = key_path(name)
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"questions": {}}
    merged = {**{int(k): v for k, v in old["questions"].items()},
              **{n: {"answer": a, "points": 1} for n, a in answers.items()}}
    if description is None:
        description = old.get("description", "")
    out = {"dataset": dataset, "description": description,
           "questions": {str(n): merged[n] for n in sorted(merged)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------
# Deriving the embedded key


def measure_embedded(obs=None, progress: bool = False) -> dict[int, Any]:
    """Run every method as the notebooks do with :data:`COURSE_DEFAULTS` and return, per image-specific
    question, the measurement its rule reads (the same call its notebook's evidence cell prints).

    ``obs``: an :class:`~helpers.observe.Observation`; default: the embedded data and checkpoint. LIME's
    sampling is seeded per image, so explaining only images 1, 4 and 6 gives the notebook's results;
    SmoothGrad draws the noise of all ten images from one stream, so it runs on all ten.
    """
    from helpers.attribution import normalize_maps
    from helpers.evidence import (
        compare_layers,
        compare_settings,
        food_shares,
        lime_regions,
        regions_of,
        upsample,
        where,
    )
    from helpers.filters import filter_activation
    from helpers.integrated_gradients import integrated_gradients
    from helpers.lime_explain import lime_explain
    from helpers.observe import load_observation
    from helpers.saliency import saliency
    from helpers.smoothgrad import smoothgrad

    if obs is None:
        obs = load_observation(verbose=False)
    if obs.masks is None:
        raise ValueError("the key can only be derived for data with food and part masks (the embedded data).")
    model, images, labels = obs.model, obs.images, obs.labels
    out: dict[int, Any] = {}

    lime_args = COURSE_DEFAULTS["01_lime"]
    picked = [1, 4, 6]
    results = lime_explain(model, images[picked], labels[picked], num_samples=lime_args["num_samples"],
                           num_segments=lime_args["num_segments"], compactness=lime_args["compactness"],
                           sigma=lime_args["sigma"], num_features=lime_args["num_features"],
                           min_weight=lime_args["min_weight"], seed=lime_args["seed"], progress=progress)
    lime = lime_regions(results)
    out[1] = where(lime.green[2], regions_of(obs, 6))
    out[2] = (len(lime.green_weights[0]), len(lime.red_weights[0]))
    out[4] = where(lime.green[1], regions_of(obs, 4))

    plain = saliency(model, images, labels, mode=COURSE_DEFAULTS["02_saliency_map"]["mode"])
    for q, i in ((7, 0), (8, 1), (9, 2)):
        out[q] = where(plain[i], regions_of(obs, i))

    sg = COURSE_DEFAULTS["03_smooth_grad"]
    smooth = normalize_maps(smoothgrad(model, images, labels, samples=sg["samples"],
                                       noise_level=sg["noise_level"], seed=sg["seed"], normalize=False,
                                       progress=progress))
    out[11] = food_shares({"saliency": plain, "SmoothGrad": smooth}, obs.masks)
    out[12] = where(smooth[9], regions_of(obs, 9))

    f = COURSE_DEFAULTS["04_filter_explanation"]
    out[14] = model.cnn[f["cnnid"]]
    out[15] = compare_layers(filter_activation(model, images, f["cnnid"], f["filterid"]),
                             filter_activation(model, images, f["deep_cnnid"], f["filterid"]))
    contour = filter_activation(model, images, f["contour_cnnid"], f["filterid"])
    out[16] = where(upsample(contour)[1], regions_of(obs, 1))

    ig_args = COURSE_DEFAULTS["05_integrated_gradients"]
    ig = integrated_gradients(model, images, labels, steps=ig_args["steps"])
    finer = integrated_gradients(model, images, labels, steps=ig_args["more_steps"])
    out[18] = where(ig.maps[7], regions_of(obs, 7))
    out[19] = compare_settings({"default": ig.maps, "more": finer.maps})
    return out


RULES = {1: rule_q1, 2: lambda counts: rule_q2(*counts), 4: rule_q4, 7: rule_q7, 8: rule_q8, 9: rule_q9,
         11: rule_q11, 12: rule_q12, 14: rule_q14, 15: rule_q15, 16: rule_q16, 18: rule_q18, 19: rule_q19}


def derive_embedded_key(obs=None, progress: bool = False) -> dict[int, str]:
    """{question: letters} for questions 1-20 on the embedded data: measured ones by :data:`RULES`,
    conceptual ones from :data:`CONCEPTUAL`."""
    measured = measure_embedded(obs, progress)
    key = {**CONCEPTUAL, **{q: rule(measured[q]) for q, rule in RULES.items()}}
    return {q: key[q] for q in sorted(key)}


def write_embedded_key(obs=None, progress: bool = True) -> Path:
    """Derive the embedded key and store it in ``data/keys/embedded.json`` (other questions' entries kept)."""
    return write_key("embedded", "embedded",
                     "Embedded synthetic data and checkpoint; questions 1-20 derived by helpers.instructor.cnn_key "
                     "from measurements with the course's default parameters.",
                     derive_embedded_key(obs, progress))
