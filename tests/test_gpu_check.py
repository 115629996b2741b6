"""``make test-gpu`` (tests/gpu_check.py): its comparison of evidence printouts, and its clean refusal on a
machine without a CUDA GPU (the one these tests run on, unless torch sees a GPU)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from helpers import paths

from gpu_check import compare, differences, no_gpu_message


def test_numbers_within_float_noise_agree_and_others_are_named() -> None:
    cpu = "saliency: 43.7% of the mass on the food (2.12x its area)\n"
    assert differences(cpu, "saliency: 43.71% of the mass on the food (2.121x its area)\n") == []
    assert differences(cpu, "saliency: 47.0% of the mass on the food (2.12x its area)\n") == ["43.7 vs 47"]
    assert differences(cpu, "smoothgrad: 43.7% of the mass on the food (2.12x its area)\n")[0].startswith(
        "the text differs"
    )
    assert compare([cpu], [cpu, cpu]) == ["1 evidence cells on the CPU, 2 on the GPU"]
    assert compare([cpu, "0.0001\n"], [cpu, "0.0002\n"]) == []  # below the absolute tolerance


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: make test-gpu runs the real check")
def test_make_test_gpu_says_plainly_that_it_needs_a_gpu() -> None:
    run = subprocess.run(
        [sys.executable, str(paths.ROOT / "tests" / "gpu_check.py")], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == no_gpu_message()
    assert run.stderr.startswith("make test-gpu needs a CUDA GPU: torch 2.13.0+cpu (a CPU-only build) sees none here.")
    assert "Traceback" not in run.stderr
