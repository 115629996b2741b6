"""The lessons on a CUDA GPU against the CPU (``make test-gpu``).

Executes every lesson twice through papermill, as ``python -m helpers run`` does (``device="cpu"`` and
``device="cuda"``, the ``quick`` profile's parameters unless ``--profile`` says otherwise), replays the GPU
copies with nbval (each cell run again on the GPU and compared with papermill's outputs), compares every
evidence cell (``# NBVAL_CHECK_OUTPUT``) of the two runs number by number, derives the embedded answer key
on both devices, and prints the CPU and GPU time of each lesson. Where an evidence cell differs it says
why to expect it: float32 sums in another order (cuDNN's convolution and reduction kernels), or torch's
CUDA random stream, which differs from the CPU's for the same seed (SmoothGrad's noise is drawn on the
device). Exits 0 when every lesson ran on both, nbval passed and the two keys agree; 2 without a GPU.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpers import paths  # noqa: E402 - run as a script from anywhere
from helpers.bundle.run import KERNEL_ENV, PROFILES, execute  # noqa: E402

CHECK = "# NBVAL_CHECK_OUTPUT"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
#: Why a lesson's evidence may differ on a GPU (read from what each lesson computes).
REASONS = {
    "03_smooth_grad": "SmoothGrad's noise comes from torch's CUDA random stream, not the CPU's, for the same seed",
    "08_evaluating_explanations": "SmoothGrad's noise and the random baselines come from torch's CUDA stream",
    "09_clever_hans": "SmoothGrad's noise comes from torch's CUDA random stream, not the CPU's, for the same seed",
}
DEFAULT_REASON = "float32 sums in another order (cuDNN's convolution and reduction kernels)"


def no_gpu_message() -> str | None:
    """Why this machine cannot run the check, or None when torch sees a CUDA device."""
    import torch

    if torch.cuda.is_available():
        return None
    build = f"a CUDA {torch.version.cuda} build" if torch.version.cuda else "a CPU-only build"
    return (
        f"make test-gpu needs a CUDA GPU: torch {torch.__version__} ({build}) sees none here. Run it on a machine "
        "with an NVIDIA GPU and a CUDA build of torch (`pip install torch` there); `make test` covers the CPU."
    )


def evidence(notebook: Path) -> list[str]:
    """The printed text of each evidence cell of an executed notebook, in order."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(CHECK)]
    return ["".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in c.outputs) for c in cells]


def differences(cpu: str, gpu: str, rel: float = 0.02, tiny: float = 1e-3) -> list[str]:
    """Where two printouts of one evidence cell differ: the words apart, or numbers beyond ``rel`` (relative)
    and ``tiny`` (absolute). Empty when they agree."""
    if NUMBER.sub("#", cpu) != NUMBER.sub("#", gpu):
        return [f"the text differs: {cpu.strip()[:160]!r} vs {gpu.strip()[:160]!r}"]
    pairs = zip(map(float, NUMBER.findall(cpu)), map(float, NUMBER.findall(gpu)), strict=True)
    return [f"{a:g} vs {b:g}" for a, b in pairs if not math.isclose(a, b, rel_tol=rel, abs_tol=tiny)]


def compare(cpu: list[str], gpu: list[str]) -> list[str]:
    """The differences between a lesson's evidence cells on the two devices (see :func:`differences`)."""
    if len(cpu) != len(gpu):
        return [f"{len(cpu)} evidence cells on the CPU, {len(gpu)} on the GPU"]
    return [d for a, b in zip(cpu, gpu, strict=True) for d in differences(a, b)]


def run_lesson(stem: str, out: Path, profile: str) -> dict[str, float]:
    """Execute lesson ``stem`` on the CPU and on the GPU into ``out/<device>/``; {device: seconds}."""
    seconds = {}
    for device in ("cpu", "cuda"):
        (out / device).mkdir(parents=True, exist_ok=True)
        params = {**PROFILES[profile].get(stem, {}), "device": device}
        started = time.perf_counter()
        execute(paths.NOTEBOOKS / f"{stem}.ipynb", out / device / f"{stem}.ipynb", params)
        seconds[device] = time.perf_counter() - started
    return seconds


def nbval(executed: list[Path]) -> subprocess.CompletedProcess:
    """nbval (lax) replaying the GPU copies in the bundle's kernel, as the notebook tests do on the CPU."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **KERNEL_ENV}
    return subprocess.run([*command, *map(str, executed)], cwd=paths.NOTEBOOKS, capture_output=True, text=True, env=env)


def keys_agree() -> list[str]:
    """The embedded key (questions 1-20) derived on each device: the questions whose answers differ."""
    from helpers.instructor.cnn_key import derive_embedded_key
    from helpers.observe import load_observation

    cpu, gpu = (derive_embedded_key(load_observation(device=d, verbose=False)) for d in ("cpu", "cuda"))
    return [f"Q{q}: {cpu[q]} on the CPU, {gpu[q]} on the GPU" for q in cpu if cpu[q] != gpu.get(q)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--notebooks", default="[0-9][0-9]_*", help="glob of the lessons (default: all)")
    parser.add_argument("--out", help="keep the executed copies here (default: a temporary folder)")
    args = parser.parse_args(argv)
    why = no_gpu_message()
    if why:
        print(why, file=sys.stderr)
        return 2
    out = Path(args.out or tempfile.mkdtemp(prefix="hw9-gpu-"))
    failed = []
    print(f"{'lesson':<36}{'CPU s':>8}{'GPU s':>8}  evidence (GPU vs CPU)")
    for stem in (p.stem for p in paths.lessons(args.notebooks)):
        seconds = run_lesson(stem, out, args.profile)
        found = compare(evidence(out / "cpu" / f"{stem}.ipynb"), evidence(out / "cuda" / f"{stem}.ipynb"))
        said = (
            "the same"
            if not found
            else f"{len(found)} differ ({'; '.join(found[:3])}): {REASONS.get(stem, DEFAULT_REASON)}"
        )
        print(f"{stem:<36}{seconds['cpu']:8.1f}{seconds['cuda']:8.1f}  {said}", flush=True)
    replay = nbval(sorted((out / "cuda").glob("*.ipynb")))
    print("nbval on the GPU copies: " + ("passed" if replay.returncode == 0 else "FAILED\n" + replay.stdout[-3000:]))
    failed += [] if replay.returncode == 0 else ["nbval"]
    keys = keys_agree()
    print("embedded key, questions 1-20: " + ("the same on both" if not keys else "DIFFERS: " + "; ".join(keys)))
    failed += ["key"] if keys else []
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
