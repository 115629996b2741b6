"""Grading a real class's messy and hostile submissions (issue 14): each case made here, each confined to its
student (or answer), reported with a reason; outputs one consistent set; no process left behind."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from test_grade import hashes, make_key, notebook, read_grades, write_key

from helpers import paths
from helpers.bundle import fake_class
from helpers.instructor import grading
from helpers.instructor.grading import execute, outputs

from conftest import report_time

KEY = make_key(seed=5)
RIGHT = {n: KEY["questions"][str(n)]["answer"] for n in (1, 2, 5)}


def _grade(folder: Path, tmp_path: Path, **options) -> dict[str, grading.Result]:
    key = write_key(tmp_path, KEY)
    results = grading.run_grading(folder, key, tmp_path / "out", progress=False, **options)
    return {r.student: r for r in results}


def _messages(result: grading.Result) -> str:
    return "\n".join(result.messages)


def _cells(answers: dict[int, str]) -> str:
    return notebook(*(f'answer({n}, "{a}")' for n, a in answers.items()))


# ---------------------------------------------------------------------------------------------------
# 1. symbolic links are not followed, and reported


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    (subs / "bob").mkdir(parents=True)
    (subs / "bob" / "01_lime.ipynb").write_text(_cells({1: RIGHT[1]}))
    (subs / "alice").mkdir()
    (subs / "alice" / "02_saliency_map.ipynb").write_text(_cells({5: RIGHT[5]}))
    (subs / "alice" / "01_lime.ipynb").symlink_to(subs / "bob" / "01_lime.ipynb")  # a classmate's work
    (subs / "alice" / "notes").symlink_to(tmp_path)  # a folder link: not walked
    outside = tmp_path / "secret.ipynb"
    outside.write_text(_cells(RIGHT))
    (subs / "carol.ipynb").symlink_to(outside)  # top level: a file outside the submissions folder
    results = _grade(subs, tmp_path)
    assert results["bob"].answers[1] == RIGHT[1]
    alice = results["alice"]
    assert alice.answers[1] == "" and alice.answers[5] == RIGHT[5]
    assert "alice/01_lime.ipynb: a symbolic link" in _messages(alice) and "alice/notes: a symbolic link" in _messages(
        alice
    )
    assert results["carol"].status == "error" and results["carol"].score == 0
    assert "carol.ipynb: a symbolic link" in _messages(results["carol"])


# ---------------------------------------------------------------------------------------------------
# 2. browser copies: one student, the newest copy read, and the grader says which and why


def test_browser_duplicates_are_one_notebook(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    old = subs / "b09902099_01_lime.ipynb"
    old.write_text(_cells({1: "C" if RIGHT[1] != "C" else "D"}))
    new = subs / "b09902099_01_lime (1).ipynb"
    new.write_text(_cells({1: RIGHT[1]}))
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_000_100, 1_700_000_100))
    (subs / "b09902099_02_saliency_map.ipynb").write_text(_cells({5: RIGHT[5]}))
    (subs / "dave").mkdir()
    for name, when in (("01_lime - Copy.ipynb", 10), ("01_lime(2).ipynb", 30), ("01_lime.ipynb", 20)):
        (subs / "dave" / name).write_text(_cells({1: RIGHT[1] if when == 30 else ""}))
        os.utime(subs / "dave" / name, (1_700_000_000 + when,) * 2)
    results = _grade(subs, tmp_path)
    assert set(results) == {"b09902099", "dave"}
    student = results["b09902099"]
    assert student.answers[1] == RIGHT[1] and student.answers[5] == RIGHT[5]
    assert "used b09902099_01_lime (1).ipynb (the most recently modified" in _messages(student)
    assert "used dave/01_lime(2).ipynb (the most recently modified" in _messages(results["dave"])
    assert results["dave"].answers[1] == RIGHT[1]
    assert grading.strip_copy("x - Copy (3)") == ("x", True) and grading.strip_copy("01_lime") == ("01_lime", False)


# ---------------------------------------------------------------------------------------------------
# 3. a pathological argument is confined to its answer


def test_pathological_arguments_cost_only_their_answer(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "eve.ipynb").write_text(
        notebook(
            f'answer(1, "{RIGHT[1]}")',
            "answer(2, x" + ".a" * 1500 + ")",
            "answer(3, " + "(" * 1500 + '"A"' + ")" * 1500 + ")",
            "answer(4, " + "-" * 100_000 + "1)",
            f'answer(5, "{RIGHT[5]}")',
        )
    )
    eve = _grade(subs, tmp_path)["eve"]
    assert eve.status == "warnings" and (eve.answers[1], eve.answers[5]) == (RIGHT[1], RIGHT[5])
    messages = _messages(eve)
    assert "Q2: eve.ipynb cell 3 line 1: answer(...) its letters argument" in messages
    assert "Q3: eve.ipynb cell 4 line 1: syntax error" in messages
    assert "Q4: eve.ipynb cell 5: nested too deeply for Python to read; not counted" in messages


# ---------------------------------------------------------------------------------------------------
# 4. a folder deeper than PATH_MAX is confined to its student


def test_folder_deeper_than_path_max(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    (subs / "frank").mkdir(parents=True)
    (subs / "frank" / "01_lime.ipynb").write_text(_cells({1: RIGHT[1]}))
    (subs / "gina.ipynb").write_text(_cells({5: RIGHT[5]}))
    fd = os.open(subs / "frank", os.O_RDONLY)
    try:
        for _ in range(20):  # 20 x 250 characters: beyond Linux's 4096
            os.mkdir("d" * 249, dir_fd=fd)
            fd, parent = os.open("d" * 249, os.O_RDONLY, dir_fd=fd), fd
            os.close(parent)
        notebook_fd = os.open("deep.ipynb", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(notebook_fd, _cells({2: RIGHT[2]}).encode())
        os.close(notebook_fd)
    finally:
        os.close(fd)
    results = _grade(subs, tmp_path)
    assert results["gina"].answers[5] == RIGHT[5] and results["gina"].status != "error"
    frank = results["frank"]
    assert frank.status == "error" and frank.answers[1] == RIGHT[1]
    assert "cannot read this folder" in _messages(frank)
    assert set(read_grades(tmp_path / "out")) == {"frank", "gina"}


# ---------------------------------------------------------------------------------------------------
# 5. CSV formula injection


def test_formula_ids_are_neutralised(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    ids = ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "plain"]
    for student in ids:
        (subs / f"{student}.ipynb").write_text(_cells({1: RIGHT[1]}))
    _grade(subs, tmp_path)
    for name in ("grades.csv", "answers.csv"):
        with open(tmp_path / "out" / name, newline="", encoding="utf-8") as handle:
            cells = [row[0] for row in csv.reader(handle)][1:]
        assert sorted(cells) == sorted(["'" + s if s[0] in "=+-@" else s for s in ids])
    assert outputs.safe_cell("\t=1") == "'\t=1" and outputs.safe_cell("0.5") == "0.5"


# ---------------------------------------------------------------------------------------------------
# 6. the output set: complete old or complete new, whatever moment a kill lands; --force replaces all


def _set_state(out: Path) -> dict[str, str]:
    state = hashes(out)
    state.pop("report.md", None)  # holds the run's duration
    return state


def test_force_replaces_the_whole_set(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for student in ("ann", "ben"):
        (subs / f"{student}.ipynb").write_text(_cells({1: RIGHT[1]}))
    _grade(subs, tmp_path, feedback=True)
    assert sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir()) == ["ann.md", "ben.md"]
    (subs / "ben.ipynb").unlink()
    _grade(subs, tmp_path, force=True)  # without --feedback: the old feedback/ goes
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(grading.OUTPUT_NAMES[:4])
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="did not write"):
        _grade(subs, tmp_path, force=True)


def test_a_failed_swap_leaves_the_old_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(_cells({1: RIGHT[1]}))
    _grade(subs, tmp_path)
    before = hashes(tmp_path / "out")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(outputs, "_exchange", fail)
    with pytest.raises(OSError, match="disk full"):
        _grade(subs, tmp_path, force=True, feedback=True)
    assert hashes(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["key.json", "out", "subs"]
    assert not list(tmp_path.glob(".out.*"))


def test_without_an_atomic_exchange_a_kill_between_renames_is_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(_cells({1: RIGHT[1]}))
    monkeypatch.setattr(outputs, "_exchange", lambda _a, _b: False)  # a system without renameat2
    _grade(subs, tmp_path)
    (subs / "ben.ipynb").write_text(_cells({5: RIGHT[5]}))
    _grade(subs, tmp_path, force=True)
    assert set(read_grades(tmp_path / "out")) == {"ann", "ben"}
    before = hashes(tmp_path / "out")
    (tmp_path / "out").rename(tmp_path / ".out.old-999")  # killed after moving the old set aside
    outputs.check_out(tmp_path / "out", force=True)  # the next run puts it back first
    assert hashes(tmp_path / "out") == before and not list(tmp_path.glob(".out.*"))


def _grader(subs: Path, key: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "helpers", "grade", str(subs), "--key", str(key), "--out", str(out), *extra],
        cwd=paths.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_a_kill_at_any_moment_leaves_one_complete_set(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    fake_class.write_fake_class(subs, 60, fake_class.random_key(), image_kb=4, progress=False)
    old_key, new_key = write_key(tmp_path, make_key(seed=1)), tmp_path / "new.json"
    new_key.write_text(json.dumps(make_key(seed=2)))
    work = tmp_path / "work"
    work.mkdir()
    reference = work / "reference"
    start = time.perf_counter()
    assert _grader(subs, new_key, reference, "--feedback").wait() == 0
    full = time.perf_counter() - start
    new_state = _set_state(reference)
    out = work / "grades"
    assert _grader(subs, old_key, out, "--feedback").wait() == 0
    old_state = _set_state(out)
    outcomes = []
    for step in range(10):
        process = _grader(subs, new_key, out, "--feedback", "--force")
        time.sleep(full * (0.3 + 0.08 * step))
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _set_state(out)
        assert state in (old_state, new_state), f"kill {step}: a mixed set"
        outcomes.append("new" if state == new_state else "old")
        visible = sorted(p.name for p in work.iterdir() if not p.name.startswith("."))
        assert visible == ["grades", "reference"], visible
        if state == new_state:  # start again from the old set
            assert _grader(subs, old_key, out, "--feedback", "--force").wait() == 0
    print(f"\nkills after {full:.1f} s runs left: {outcomes}")


# ---------------------------------------------------------------------------------------------------
# 7. modes follow the umask


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_outputs_follow_the_umask(tmp_path: Path, umask: int) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(_cells({1: RIGHT[1]}))
    old = os.umask(umask)
    try:
        _grade(subs, tmp_path, feedback=True)
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (out / "feedback").stat().st_mode & 0o777 == 0o777 & ~umask
    for path in [*out.glob("*.*"), *(out / "feedback").iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path.name


# ---------------------------------------------------------------------------------------------------
# 8. NFC and NFD spellings of one id are one student


def test_nfc_and_nfd_ids_are_one_student(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    nfc, nfd = unicodedata.normalize("NFC", "josé"), unicodedata.normalize("NFD", "josé")
    assert nfc != nfd
    (subs / f"{nfc}_01_lime.ipynb").write_text(_cells({1: RIGHT[1]}))
    (subs / f"{nfd}_02_saliency_map.ipynb").write_text(_cells({5: RIGHT[5]}))
    (subs / nfd).mkdir()
    (subs / nfd / "notes.ipynb").write_text(_cells({2: RIGHT[2]}))
    results = _grade(subs, tmp_path)
    assert list(results) == [nfc]
    assert [results[nfc].answers[n] for n in (1, 2, 5)] == [RIGHT[1], RIGHT[2], RIGHT[5]]
    assert "two Unicode forms, NFC and NFD" in _messages(results[nfc])
    assert list(read_grades(tmp_path / "out")) == [nfc]


# ---------------------------------------------------------------------------------------------------
# 9. what counts: a top-level answer(N, "X") after IPython's transformer; all else reported with why


def test_what_counts_is_what_runs(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    nb = notebook(
        '%time answer(1, "B")',
        'if False:\n    answer(2, "C")',
        'for q in [5]:\n    answer(q, "A")',
        'print(answer(10, "A"))',
        '%%time\nanswer(15, "A")\n',
        '!echo hi\nanswer(20, "B")',
        'def f():\n    answer(4, "A")',
        'x = 1\n%matplotlib inline\nanswer(3, "D")',
    )
    nb = nb.replace(
        '"Answer each question in its code cell."',
        '"Answer: answer(6, \\"B\\") and answer(3, \\"A\\"), as in `answer(7, \\"B\\")`"',
    )
    (subs / "hal.ipynb").write_text(nb)
    hal = _grade(subs, tmp_path)["hal"]
    assert {n: a for n, a in hal.answers.items() if a} == {20: "B", 3: "D"}
    messages = _messages(hal)
    for expected in (
        "Q1: hal.ipynb cell 2 line 1: an answer inside the %time magic; not counted",
        "Q2: hal.ipynb cell 3 line 2: answer(2, 'C') is inside an `if` statement; not counted",
        "hal.ipynb cell 4 line 2: answer(q, 'A') is inside a `for` loop",
        "Q10: hal.ipynb cell 5 line 1: answer(10, 'A') is part of a larger statement",
        "Q15: hal.ipynb cell 6 line 1: an answer inside the %%time magic",
        "Q4: hal.ipynb cell 8 line 2: answer(4, 'A') is inside a function",
        "Q6: hal.ipynb cell 1: an answer written in a markdown cell, which never runs",
    ):
        assert expected in messages, expected
    assert "Q3: hal.ipynb cell 1" not in messages  # answered in code: the markdown text is just prose
    assert "Q7:" not in messages  # in backticks: an example of the syntax


# ---------------------------------------------------------------------------------------------------
# 10. killing a --jobs 2 run leaves no worker behind


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_grader_leaves_no_worker(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    fake_class.write_fake_class(subs, 400, fake_class.random_key(), image_kb=4, progress=False)
    key = write_key(tmp_path, make_key())
    process = _grader(subs, key, tmp_path / "out", "--jobs", "2")
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers = [p for p in _children(process.pid) if _alive(p)]
        time.sleep(0.05)
    assert len(workers) >= 2, "the --jobs 2 run never showed its two workers"
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(2)
    assert not [p for p in workers if _alive(p)]


# ---------------------------------------------------------------------------------------------------
# 11. grade --help imports nothing heavy


def test_grade_help_is_light() -> None:
    code = (
        "import sys, time; start = time.perf_counter()\nfrom helpers.__main__ import main\n"
        "try:\n    main(['grade', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({'torch', 'sklearn', 'lime', 'matplotlib', 'nbformat', 'IPython', 'numpy'}"
        " & set(sys.modules))\nprint('HEAVY', heavy, time.perf_counter() - start)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT, check=True)
    assert 'What counts: a top-level line answer(N, "X")' in " ".join(done.stdout.split())
    line = done.stdout.rsplit("HEAVY ", 1)[1].split()
    assert line[0] == "[]", done.stdout
    report_time("python -m helpers grade --help (in process)", float(line[1]))


# ---------------------------------------------------------------------------------------------------
# 12. --execute: a scratch copy, resource limits, and bubblewrap where it works


def test_execute_says_when_there_is_no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute.shutil, "which", lambda _name: None)
    box = execute.Sandbox(timeout=30, memory_mb=2048, file_mb=1, processes=8)
    assert "NO sandbox (bubblewrap is not installed)" in box.protection and "1 MB per file" in box.protection
    assert box.command(Path("/tmp/x"), Path("/tmp/x/n.ipynb"))[:3] == [sys.executable, "-m", "papermill"]


CONTAINED = """\
import os, resource, socket
assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == 2**20, resource.getrlimit(resource.RLIMIT_FSIZE)
assert resource.getrlimit(resource.RLIMIT_AS)[0] == 3072 * 2**20
assert resource.getrlimit(resource.RLIMIT_CPU)[0] == 60
try:
    open("big.bin", "wb").write(b"0" * 2 * 2**20)
    raise RuntimeError("wrote past the file size limit")
except OSError:
    pass
assert os.getcwd().startswith("/tmp/hw9-execute-"), os.getcwd()
"""
SANDBOXED = """\
import socket
try:
    open({escape!r}, "w").write("escaped")
    raise RuntimeError("wrote outside the scratch copy")
except OSError:
    pass
assert [name for _, name in socket.if_nameindex()] == ["lo"], socket.if_nameindex()
"""


@pytest.mark.slow
def test_execute_runs_contained(tmp_path: Path) -> None:
    box = execute.Sandbox(timeout=60, memory_mb=3072, file_mb=1)
    contained = tmp_path / "contained.ipynb"
    contained.write_text(notebook(CONTAINED))
    assert box.run(contained) == "", box.protection
    if box.no_sandbox:
        pytest.skip(f"limits checked; the sandbox part needs bubblewrap: {box.no_sandbox}")
    sandboxed = tmp_path / "sandboxed.ipynb"
    escape = paths.ROOT / f".escape-test-{os.getpid()}"  # a real folder the instructor can write
    sandboxed.write_text(notebook(SANDBOXED.format(escape=str(escape))))
    try:
        assert box.run(sandboxed) == ""
        assert not escape.exists()
    finally:
        escape.unlink(missing_ok=True)
    assert "bubblewrap sandbox: no network, read-only outside the scratch copy" in box.protection
