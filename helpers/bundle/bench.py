"""``python -m helpers bench``: how fast the explanation methods run, and against what.

In one run, on the same model and images, each gradient method is timed as

* ours: the functions in ``helpers`` (batched, parameters frozen, each at its default batch size);
* (a) the course's style: a Python loop over images, and over noisy copies / path points /
  iterations, one image per pass, with the parameters' gradients computed as in the course code;
* (b) captum (``Saliency``, ``NoiseTunnel``, ``IntegratedGradients``) called on batches of the same size;
* (c) the limit: the model's best input-gradient throughput, i.e. forward + backward passes per second
  for the gradient w.r.t. the input only, at the best of several batch sizes, measured first.

A *pass* is one image through the model forward and back (filter visualization stops at layer
``cnnid``, so its passes are shorter and may beat the limit). LIME is timed against lime's defaults
(its own perturbation loop and batches of 10). Each timing is the best of a few repeats, because a
shared machine's load varies from second to second; the rounds are interleaved (see
:func:`best_times`). Each of our gradient jobs is timed twice under two names; how far the two land
apart is the run's resolution (LIME, the slowest job, is not repeated and is judged by it too), and a
target missed by less than that is reported as not decided (see :func:`resolution`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers import paths
from helpers.attribution import DEFAULT_BATCH_SIZE, batches, default_batch_size, explaining
from helpers.filters import cnn_layer, filter_visualization
from helpers.integrated_gradients import integrated_gradients
from helpers.lime_explain import classifier, lime_explain
from helpers.model import Classifier, load_model, pick_device
from helpers.saliency import saliency
from helpers.smoothgrad import smoothgrad

#: Work per method, kept short (a fraction of a second): a shared CPU's speed drifts by up to 2x over
#: tens of seconds, so many short interleaved rounds catch every job at the machine's best.
WORK = {
    "saliency": {"images": 16},
    "smoothgrad": {"images": 1, "samples": 24},
    "ig": {"images": 4, "steps": 10},
    "filter": {"images": 10, "iterations": 5},
    "lime": {"images": 1, "samples": 300},
}
#: Interleaved rounds (full run, --quick run): gradient methods with the limit; LIME (slower, no limit).
ROUNDS = {"gradients": (15, 5), "lime": (5, 2)}
LIMIT_BATCHES = {"cpu": (1, 2, 4, 8, 16, 32), "cuda": (1, 8, 32, 64, 128, 256)}
CNNID, FILTERID = 6, 0


# --------------------------------------------------------------------------------------------------
# (a) The course's loops, for timing only (the course's own formulas, including its mistakes).


def _course_saliency(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> None:
    for x, y in zip(images, labels, strict=True):
        x = x[None].clone().requires_grad_()
        F.cross_entropy(model(x), y[None]).backward()
        x.grad.abs()


def _course_smoothgrad(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, samples: int) -> None:
    for x, y in zip(images, labels, strict=True):
        sigma = 0.4 / float(x.max() - x.min())
        for _ in range(samples):
            noisy = (x + x.new_empty(x.shape).normal_(0, sigma**2))[None].requires_grad_()
            F.cross_entropy(model(noisy), y[None]).backward()
            noisy.grad.abs()


def _course_ig(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int) -> None:
    for x, y in zip(images, labels, strict=True):
        for k in range(steps):
            point = (x * k / steps)[None].requires_grad_()
            model(point)[0, y].backward()
            point.grad.clone()


def _course_filter(model: nn.Module, images: torch.Tensor, iterations: int) -> None:
    store = {}
    handle = cnn_layer(model, CNNID).register_forward_hook(lambda m, i, o: store.update(out=o))
    try:
        for x in images:
            x = x[None].clone().requires_grad_()
            optimizer = torch.optim.Adam([x], lr=0.1)
            for _ in range(iterations):
                optimizer.zero_grad()
                model(x)
                (-store["out"][:, FILTERID].sum()).backward()
                optimizer.step()
    finally:
        handle.remove()


# --------------------------------------------------------------------------------------------------
# (b) captum, on batches of the same size.


def _captum_saliency(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> None:
    from captum.attr import Saliency

    method = Saliency(lambda x: -F.log_softmax(model(x), 1))
    for part in batches(len(images), batch_size):
        method.attribute(images[part].clone().requires_grad_(), target=labels[part], abs=True)


def _captum_smoothgrad(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, samples: int, batch_size: int
) -> None:
    from captum.attr import NoiseTunnel, Saliency

    method = NoiseTunnel(Saliency(lambda x: -F.log_softmax(model(x), 1)))
    per_image = max(1, batch_size // len(images))
    method.attribute(
        images.clone(),
        nt_type="smoothgrad",
        nt_samples=samples,
        nt_samples_batch_size=per_image,
        stdevs=0.4,
        target=labels,
        abs=True,
    )


def _captum_ig(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int, batch_size: int) -> None:
    from captum.attr import IntegratedGradients

    with warnings.catch_warnings():  # "internal batch size cannot be less than the number of examples"
        warnings.simplefilter("ignore")
        IntegratedGradients(model).attribute(
            images.clone(),
            baselines=0.0,
            target=labels,
            n_steps=steps,
            method="riemann_right",
            internal_batch_size=batch_size,
        )


def _lime_defaults(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, samples: int) -> None:
    from lime.lime_image import LimeImageExplainer
    from skimage.segmentation import slic

    def segmentation(image: np.ndarray) -> np.ndarray:  # the course's call
        return slic(image, n_segments=200, compactness=1, sigma=1, start_label=1)

    classify = classifier(model, batch_size=10)  # logits, as the course's classifier function
    pictures = images.permute(0, 2, 3, 1).double().cpu().numpy()
    for picture, label in zip(pictures, labels.tolist(), strict=True):
        with contextlib.redirect_stderr(io.StringIO()):  # lime's own progress bar
            LimeImageExplainer(random_state=0).explain_instance(
                picture, classify, labels=(label,), num_samples=samples, random_seed=0, segmentation_fn=segmentation
            )


# --------------------------------------------------------------------------------------------------
# Timing


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_time(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    """The shortest of ``repeats`` wall-clock times of ``fn()`` (seconds)."""
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return min(times)


def best_times(
    jobs: dict[tuple[str, str], Callable[[], object]], device: torch.device, rounds: int
) -> dict[tuple[str, str], float]:
    """The shortest time of each job over ``rounds`` rounds. Each round runs every job once, in turn,
    so warm-up costs and bursts of load from other processes fall on all of them alike."""
    times: dict[tuple[str, str], list[float]] = {key: [] for key in jobs}
    for _ in range(rounds):
        for key, job in jobs.items():
            times[key].append(best_time(job, device, 1))
    return {key: min(spent) for key, spent in times.items()}


def limit_job(model: nn.Module, device: torch.device, size: int, passes: int) -> Callable[[], None]:
    """``passes`` input-gradient passes at batch ``size`` (rounded up to whole batches): forward, then
    backward to the input only, parameters frozen; the least work any input-gradient method needs."""
    x = torch.rand(size, 3, 128, 128, device=device)
    target = torch.zeros(size, dtype=torch.long, device=device)

    def job() -> None:
        with explaining(model):
            for _ in range(-(-passes // size)):
                leaf = x.detach().requires_grad_()
                torch.autograd.grad(model(leaf).gather(1, target[:, None]).sum(), leaf)

    return job


@dataclass
class Row:
    name: str
    work: str
    passes: int
    ours: float
    course: float
    captum: float | None


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def resolution(times: dict[tuple[str, str], float]) -> float:
    """The largest relative difference between a job and its repeat ("ours" vs "ours again"): ratios
    closer to a target than this are not decided by this run."""
    return max(
        abs(spent / times[name, "ours"] - 1) for (name, variant), spent in times.items() if variant == "ours again"
    )


def judge(ratio: float, target: float, tie: float) -> str | None:
    """None when ``ratio`` reaches ``target``; "missed" when it falls short by more than the run's
    resolution ``tie`` (relative); "undecided" in between."""
    if ratio >= target:
        return None
    return "undecided" if ratio >= target * (1 - tie) else "missed"


def print_table(rows: list[Row], limit: float, tie: float = 0.0) -> dict[str, list[str]]:
    """Print the table; return the targets not met, as {"missed": [...], "undecided": [...]}, where
    undecided ones fall short by less than ``tie`` (see :func:`resolution`)."""
    head = (
        f"{'method':<22}{'work':<22}{'ours s':>8}{'passes/s':>10}{'(a) s':>9}{'vs (a)':>8}"
        f"{'(b) s':>9}{'vs (b)':>8}{'of (c)':>8}"
    )
    print(head)
    print("-" * len(head))
    verdicts: dict[str, list[str]] = {"missed": [], "undecided": []}
    for r in rows:
        rate = r.passes / r.ours
        vs_a, vs_b = r.course / r.ours, (None if r.captum is None else r.captum / r.ours)
        captum_s = "n/a" if r.captum is None else f"{r.captum:.2f}"
        print(
            f"{r.name:<22}{r.work:<22}{r.ours:>8.2f}{rate:>10.1f}{r.course:>9.2f}{_fmt_ratio(vs_a):>8}"
            f"{captum_s:>9}{_fmt_ratio(vs_b):>8}{rate / limit:>8.0%}"
        )
        checks = [
            (rate / limit, 0.9, f"{rate / limit:.0%} of the limit (target >= 90%)"),
            (vs_a, 1.0, f"slower than the course loop ({vs_a:.2f}x)"),
        ]
        if vs_b is not None:
            checks.append((vs_b, 1.0, f"slower than captum ({vs_b:.2f}x)"))
        for ratio, target, text in checks:
            verdict = judge(ratio, target, tie)
            if verdict:
                verdicts[verdict].append(f"{r.name}: {text}")
    return verdicts


def _inputs(n_needed: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The embedded observation images (tiled to ``n_needed``) or, without them, smooth random images."""
    try:
        from helpers.data import FoodDataset
        from helpers.synthetic_food import ensure_embedded

        dataset = FoodDataset(ensure_embedded() / "food")
        images, labels = dataset.getbatch(range(len(dataset)))
        source = f"the {len(dataset)} embedded observation images"
    except (ImportError, AttributeError, OSError, ValueError) as err:
        generator = torch.Generator().manual_seed(0)
        coarse = torch.rand(10, 3, 8, 8, generator=generator)
        images = F.interpolate(coarse, size=128, mode="bicubic", align_corners=False).clamp(0, 1)
        labels = torch.arange(10)
        source = f"10 smooth random images (embedded data unavailable: {err})"
    reps = -(-n_needed // len(images))
    images, labels = images.repeat(reps, 1, 1, 1)[:n_needed], labels.repeat(reps)[:n_needed]
    return images.to(device), labels.to(device), source


def _model(checkpoint: str | None, device: torch.device) -> tuple[nn.Module, str]:
    if checkpoint is not None or paths.EMBEDDED_CHECKPOINT.is_file():
        model = load_model(checkpoint, device)
        return model, f"{checkpoint or paths.EMBEDDED_CHECKPOINT} (widths {model.widths})"
    from helpers.bundle.train import EMBEDDED_HIDDEN, EMBEDDED_WIDTHS

    torch.manual_seed(0)
    model = Classifier(EMBEDDED_WIDTHS, EMBEDDED_HIDDEN).to(device).eval()
    return model, (
        f"untrained Classifier{EMBEDDED_WIDTHS} ({paths.EMBEDDED_CHECKPOINT} is missing; "
        "speed does not depend on the weights)"
    )


def _jobs(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, work: dict, bs: int, dev: torch.device
) -> tuple[dict[tuple[str, str], Callable[[], object]], dict[str, tuple[str, int]]]:
    """Every timed job, keyed (method, variant) with variant ours / course / captum, and per method
    (description of the work, passes)."""
    jobs: dict[tuple[str, str], Callable[[], object]] = {}
    described: dict[str, tuple[str, int]] = {}
    n = work["saliency"]["images"]
    for size in LIMIT_BATCHES.get(dev.type, LIMIT_BATCHES["cpu"]):
        jobs["limit", str(size)] = limit_job(model, dev, size, n)

    def add(
        name: str, what: str, passes: int, ours: Callable, course: Callable, captum: Callable | None = None
    ) -> None:
        described[name] = (what, passes)
        jobs[name, "ours"], jobs[name, "course"] = ours, course
        if name != "LIME":  # the same job twice: how far apart identical work lands (LIME's ~1 s rounds: not)
            jobs[name, "ours again"] = ours
        if captum is not None:
            jobs[name, "captum"] = captum

    x, y = images[:n], labels[:n]
    add(
        "saliency",
        f"{n} images",
        n,
        lambda: saliency(model, x, y, batch_size=bs),
        lambda: _course_saliency(model, x, y),
        lambda: _captum_saliency(model, x, y, bs),
    )
    n, s = work["smoothgrad"]["images"], work["smoothgrad"]["samples"]
    add(
        "smoothgrad",
        f"{n} img x {s} copies",
        n * s,
        lambda: smoothgrad(model, images[:n], labels[:n], samples=s, batch_size=bs, progress=False),
        lambda: _course_smoothgrad(model, images[:n], labels[:n], s),
        lambda: _captum_smoothgrad(model, images[:n], labels[:n], s, bs),
    )
    m, t = work["ig"]["images"], work["ig"]["steps"]
    add(
        "integrated gradients",
        f"{m} img x {t} steps",
        m * t,
        lambda: integrated_gradients(model, images[:m], labels[:m], steps=t, batch_size=bs),
        lambda: _course_ig(model, images[:m], labels[:m], t),
        lambda: _captum_ig(model, images[:m], labels[:m], t, bs),
    )
    k, it = work["filter"]["images"], work["filter"]["iterations"]
    add(
        f"filter viz (cnn {CNNID})",
        f"{k} img x {it} steps",
        k * it,
        lambda: filter_visualization(model, images[:k], CNNID, FILTERID, iterations=it, batch_size=bs, progress=False),
        lambda: _course_filter(model, images[:k], it),
    )
    j, q = work["lime"]["images"], work["lime"]["samples"]
    add(
        "LIME",
        f"{j} img x {q} samples",
        j * q,
        lambda: lime_explain(model, images[:j], labels[:j], num_samples=q, batch_size=bs, progress=False),
        lambda: _lime_defaults(model, images[:j], labels[:j], q),
    )
    return jobs, described


def _print_legend(tie: float) -> None:
    """What the table's columns and marks mean."""
    print("(a) course-style loop: one image per pass, parameter gradients computed (the course ran saliency")
    print("    and filter visualization on its 10 images as one batch; its SmoothGrad and IG looped so)")
    print("(b) captum on batches of the same size; it has no filter visualization")
    print(f"(c) the limit; filter viz passes stop at layer {CNNID}, so they can beat it")
    print("LIME: forward passes/s; lime's defaults = its perturbation loop and classifier batches of 10")
    print(
        f"resolution: each of our gradient jobs was also timed a second time; the two differed by up to {tie:.1%},"
        f" so a target missed by less than that is not decided"
    )


def _print_resources(
    dev: torch.device, rows: list[Row], verdicts: dict[str, list[str]], started: float, load_before: float
) -> None:
    """Memory, time and load of the run, then every target's verdict on one line."""
    if dev.type == "cuda":
        slow = [r.name for r in rows if r.course / r.ours < 5]
        if slow:
            verdicts["missed"].append(f"on a GPU, less than 5x the course loop: {', '.join(slow)}")
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated(dev) / 2**20:.0f} MiB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    load = max(load_before, os.getloadavg()[0])
    print(
        f"peak memory (resident): {peak:.0f} MiB   time: {time.perf_counter() - started:.0f} s   "
        f"load average: {load:.1f}"
    )
    if dev.type == "cpu" and load > 1.5 * (os.cpu_count() or 1):
        print("warning: other processes were using the CPU during the run; the timings are noisy.")
    failed = [
        f"{'MISSED' if kind == 'missed' else 'not decided (within the resolution)'}: " + "; ".join(items)
        for kind, items in verdicts.items()
        if items
    ]
    print("targets: " + ("; ".join(failed) if failed else "all met"))


def run(quick: bool = False, device: str = "auto", batch_size: int | None = None, checkpoint: str | None = None) -> int:
    """Run the benchmark and print its table; returns 0 (the targets are reported, not enforced)."""
    dev = pick_device(device)
    bs = batch_size or default_batch_size(dev)
    work = WORK
    rounds = {name: pair[1 if quick else 0] for name, pair in ROUNDS.items()}
    model, model_source = _model(checkpoint, dev)
    images, labels, source = _inputs(max(w["images"] for w in work.values()), dev)
    started = time.perf_counter()  # after loading (and, on first use, generating) the data
    load_before = os.getloadavg()[0]
    print(
        f"device: {dev} ({torch.get_num_threads()} CPU threads)   our batch size: {bs}   "
        f"{'quick run' if quick else 'full run'}, best of {rounds['gradients']} interleaved rounds"
    )
    print(f"model:  {model_source}")
    print(f"images: {source}")

    saliency(model, images[:2], labels[:2], batch_size=bs)  # warm-up: allocator, kernels
    jobs, described = _jobs(model, images, labels, work, bs, dev)
    lime_jobs = {key: jobs.pop(key) for key in [key for key in jobs if key[0] == "LIME"]}
    times = best_times(jobs, dev, rounds["gradients"]) | best_times(lime_jobs, dev, rounds["lime"])
    model.zero_grad(set_to_none=True)  # the course loops left parameter gradients behind
    n = work["saliency"]["images"]
    rates = {
        int(size): -(-n // int(size)) * int(size) / spent for (name, size), spent in times.items() if name == "limit"
    }
    best = max(rates, key=rates.get)
    limit = rates[best]
    print(
        f"(c) limit: {limit:.1f} input-gradient passes/s at batch {best}   (passes/s by batch: "
        + ", ".join(f"{size}: {rate:.0f}" for size, rate in rates.items())
        + ")"
    )
    print()
    rows = [
        Row(name, what, passes, times[name, "ours"], times[name, "course"], times.get((name, "captum")))
        for name, (what, passes) in described.items()
        if name != "LIME"
    ]
    tie = resolution(times)
    verdicts = print_table(rows, limit, tie)
    what, passes = described["LIME"]
    ours, stock = times["LIME", "ours"], times["LIME", "course"]
    print(
        f"{'LIME':<22}{what:<22}{ours:>8.2f}{passes / ours:>10.1f}   lime's defaults: {stock:.2f} s; "
        f"ours {stock / ours:.2f}x"
    )
    verdict = judge(stock / ours, 1.0, tie)
    if verdict:
        verdicts[verdict].append(f"LIME: slower than lime's defaults ({stock / ours:.2f}x)")
    print()
    _print_legend(tie)
    _print_resources(dev, rows, verdicts, started, load_before)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` command."""
    p = subparsers.add_parser(
        "bench",
        help="time the explanation methods against the course loop, captum and the model's limit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="less work per method (< 1 minute on 2 CPU cores)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument(
        "--batch-size", type=int, default=None, help=f"our batch size; default per device type: {DEFAULT_BATCH_SIZE}"
    )
    p.add_argument("--checkpoint", default=None, help="checkpoint to time; default: the embedded one")
    p.add_argument(
        "--explorer", action="store_true", help="time the explorer's redraws instead (helpers.bundle.explorer_bench)"
    )
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    if args.explorer:
        from helpers.bundle import explorer_bench

        return explorer_bench.run(args.quick, args.checkpoint)
    return run(args.quick, args.device, args.batch_size, args.checkpoint)
