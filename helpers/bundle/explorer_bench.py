"""``python -m helpers bench --explorer``: how long the explorer (``helpers.explorer``) takes to redraw
after a knob turns, against the responsiveness it promises on 2 CPU cores (issue 27).

A redraw is what the panel's background thread does for one setting: predict, run the method through the
lesson library, draw the figure and encode it as PNG (:func:`helpers.explorer.session.compute` and
``Result.png``); sending the PNG to the browser is left out. Each setting is timed as the best of a few
repeats, because a shared machine's load varies; the load average is printed beside the table.
"""

from __future__ import annotations

import os
import time

import torch

from helpers.explorer.session import Request, compute

#: (what, method, knobs, target seconds or None).
SETTINGS = (
    ("saliency", "saliency", {}, 1.0),
    ("filter activation (cnn[6], filter 0)", "activation", {}, 1.0),
    ("SmoothGrad, 50 copies", "smoothgrad", {"samples": 50}, 3.0),
    ("integrated gradients, 64 steps", "ig", {"steps": 64}, 3.0),
    ("LIME, 1000 samples", "lime", {"num_samples": 1000}, 10.0),
    ("filter visualization, 100 steps", "visualization", {"iterations": 100}, None),
)


def redraw_seconds(model: torch.nn.Module, image: torch.Tensor, method: str, knobs: dict, repeats: int) -> float:
    """The best of ``repeats`` redraws of one setting (compute + PNG), seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        compute(model, Request.make(image, "bench", method, knobs)).png()
        best = min(best, time.perf_counter() - started)
    return best


def run(quick: bool = False, checkpoint: str | None = None, image: int = 3) -> int:
    """Time every setting of :data:`SETTINGS` on observed image ``image`` and print the table; returns 0."""
    from helpers.observe import load_observation

    obs = load_observation(checkpoint=checkpoint, device="cpu", verbose=False)
    picture = obs.images[image].cpu()
    repeats = 1 if quick else 3
    load = os.getloadavg()[0]
    print(f"explorer redraws on the CPU ({torch.get_num_threads()} threads), observed image #{image}, "
          f"best of {repeats}; load average {load:.1f} on {os.cpu_count()} cores before")  # fmt: skip
    redraw_seconds(obs.model, picture, "saliency", {}, 1)  # warm-up: allocator, kernels, fonts
    print(f"{'setting':<40}{'seconds':>9}  target")
    for what, method, knobs, target in SETTINGS:
        seconds = redraw_seconds(obs.model, picture, method, knobs, 1 if method == "lime" else repeats)
        verdict = "" if target is None else f"< {target:g} s: {'met' if seconds < target else 'NOT met'}"
        print(f"{what:<40}{seconds:>9.2f}  {verdict}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} after (timings on a busy machine are upper bounds)")
    return 0
