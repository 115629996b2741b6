"""The benchmark's machinery (its timings are printed, never asserted)."""

from __future__ import annotations

import re

import pytest
import torch

from helpers.bundle import bench


def test_best_times_interleaves_rounds_and_keeps_each_jobs_shortest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    durations = {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, 6.0, 4.0])}

    def fake_best_time(fn, device, repeats):  # each job reports its next duration
        return fn()

    def job(name: str):
        return lambda: calls.append(name) or next(durations[name])

    monkeypatch.setattr(bench, "best_time", fake_best_time)
    times = bench.best_times({("m", "a"): job("a"), ("m", "b"): job("b")}, torch.device("cpu"), rounds=3)
    assert calls == ["a", "b"] * 3  # round-robin, not all of a's repeats first
    assert times == {("m", "a"): 1.0, ("m", "b"): 4.0}


def test_limit_job_runs_whole_batches(tiny_model) -> None:
    counted = []
    handle = tiny_model.register_forward_hook(lambda m, i, o: counted.append(len(o)))
    try:
        bench.limit_job(tiny_model, torch.device("cpu"), size=4, passes=10)()
    finally:
        handle.remove()
    assert counted == [4, 4, 4]  # 10 passes rounded up to whole batches of 4
    assert all(p.requires_grad for p in tiny_model.parameters())  # parameters unfrozen afterwards


@pytest.mark.slow
def test_bench_command_prints_the_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole command on very little work: every method gets a row with its ratios, and the targets line."""
    monkeypatch.setattr(
        bench,
        "WORK",
        {
            "saliency": {"images": 2},
            "smoothgrad": {"images": 1, "samples": 2},
            "ig": {"images": 1, "steps": 2},
            "filter": {"images": 1, "iterations": 1},
            "lime": {"images": 1, "samples": 10},
        },
    )
    monkeypatch.setattr(bench, "ROUNDS", {"gradients": (1, 1), "lime": (1, 1)})
    monkeypatch.setattr(bench, "LIMIT_BATCHES", {"cpu": (1, 2)})
    assert bench.run(quick=True, device="cpu") == 0
    out = capsys.readouterr().out
    assert re.search(r"^\(c\) limit: [\d.]+ input-gradient passes/s at batch [12] ", out, re.M)
    for name in ("saliency", "smoothgrad", "integrated gradients", "filter viz (cnn 6)"):
        assert re.search(rf"^{re.escape(name)}\s+.*\d+\.\d\dx\s.*\d+%$", out, re.M), name
    assert re.search(r"^LIME\s+1 img x 10 samples .* lime's defaults: [\d.]+ s; ours [\d.]+x$", out, re.M)
    assert re.search(
        r"^resolution: .* differed by up to [\d.]+%, so a target missed by less than that is not decided$", out, re.M
    )
    assert re.search(r"^targets: (all met|MISSED: .+|not decided .+)$", out, re.M)


def test_resolution_is_the_widest_gap_between_a_job_and_its_repeat() -> None:
    times = {
        ("a", "ours"): 1.0,
        ("a", "ours again"): 1.02,
        ("a", "captum"): 5.0,
        ("b", "ours"): 2.0,
        ("b", "ours again"): 1.9,
    }
    assert bench.resolution(times) == pytest.approx(0.05)


def test_judge_separates_missed_from_undecided() -> None:
    assert bench.judge(1.0, 1.0, tie=0.0) is None
    assert bench.judge(0.99, 1.0, tie=0.02) == "undecided"
    assert bench.judge(0.97, 1.0, tie=0.02) == "missed"
    assert bench.judge(0.89, 0.9, tie=0.02) == "undecided"  # relative to the target
    assert bench.judge(0.99, 1.0, tie=0.0) == "missed"


def test_table_sorts_targets_by_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        bench.Row("close", "w", 10, ours=1.0, course=2.0, captum=0.99),
        bench.Row("lost", "w", 10, ours=1.0, course=2.0, captum=0.9),
        bench.Row("slow", "w", 10, ours=1.0, course=0.95, captum=None),
    ]
    verdicts = bench.print_table(rows, limit=10.0, tie=0.02)
    assert verdicts == {
        "missed": ["lost: slower than captum (0.90x)", "slow: slower than the course loop (0.95x)"],
        "undecided": ["close: slower than captum (0.99x)"],
    }
    assert bench.print_table(rows[:1], limit=20.0, tie=0.02)["missed"] == ["close: 50% of the limit (target >= 90%)"]
    table = capsys.readouterr().out
    assert re.search(r"^close\s+w\s+1\.00\s+10\.0\s+2\.00\s+2\.00x\s+0\.99\s+0\.99x\s+100%$", table, re.M)


def test_the_explorer_benchmark_times_the_explorers_own_settings(tiny_model) -> None:
    import math

    from helpers.bundle import explorer_bench
    from helpers.explorer.methods import check_knobs

    for _, method, knobs, _ in explorer_bench.SETTINGS:
        check_knobs(method, knobs)  # raises on a knob the explorer does not have
    seconds = explorer_bench.redraw_seconds(tiny_model, torch.rand(3, 128, 128), "saliency", {}, repeats=2)
    assert seconds > 0 and math.isfinite(seconds)
