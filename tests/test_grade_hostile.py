"""Grading a real class's messy and hostile submissions (issues 14 and 31): each case made here, each confined to
its student (or answer), reported with a reason; outputs one consistent set; no process left behind."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import nbformat
import pytest
from test_grade import hashes, make_key, notebook, read_grades, write_key

from helpers import paths
from helpers.__main__ import main
from helpers.bundle import fake_class
from helpers.instructor import grading
from helpers.instructor.grading import execute, names, outputs, reading, scoring, submissions, untrusted

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


# ---------------------------------------------------------------------------------------------------
# 13. unattended grading never hangs (issue 25): special files are reported, never opened; nbformat 3 is
# read as nbformat reads it; one student's files have a time limit


def _v3_notebook(answers: dict[int, str]) -> str:
    """A notebook as an old Jupyter saved it: nbformat 3, worksheets, code in ``input``, every multi-line
    string (the heading's too) stored as a list of lines."""
    lines = ["import numpy as np\n", *(f'answer({n}, "{a}")\n' for n, a in answers.items()), "x = 1"]
    cells = [
        {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Old\n", "notebook"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["Answer each\n", "question."]},
        {"cell_type": "code", "collapsed": False, "input": lines, "language": "python", "metadata": {}, "outputs": []},
    ]
    raw = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [{"cells": cells}]}
    return json.dumps(raw, indent=1)


def _special_class(subs: Path) -> dict[str, str]:
    """A class with a FIFO and a socket beside a student's notebook, a FIFO at the top level, a genuine
    nbformat 3 notebook and a plain one; returns {path: kind} of the special files."""
    import socket

    (subs / "b09901001").mkdir(parents=True)
    (subs / "b09901001" / "01_lime.ipynb").write_text(_cells({1: RIGHT[1]}))
    os.mkfifo(subs / "b09901001" / "pipe.ipynb")  # blocks open() until a writer comes, forever here
    os.mkfifo(subs / "b09901001" / "notes")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(subs / "b09901001" / "socket.ipynb"))  # the file stays after close
    os.mkfifo(subs / "fifo_01_lime.ipynb")
    (subs / "old.ipynb").write_text(_v3_notebook({1: RIGHT[1], 5: RIGHT[5]}))
    (subs / "plain.ipynb").write_text(_cells({2: RIGHT[2]}))
    return {
        "b09901001/pipe.ipynb": "FIFO",
        "b09901001/notes": "FIFO",
        "b09901001/socket.ipynb": "socket",
        "fifo_01_lime.ipynb": "FIFO",
    }


def test_the_grader_over_special_files_and_nbformat_3_never_hangs(tmp_path: Path) -> None:
    """The command itself, as a TA runs it, with a deadline: a hang fails the test instead of stalling it."""
    subs = tmp_path / "subs"
    special = _special_class(subs)
    before = hashes(subs)
    out, key = tmp_path / "out", write_key(tmp_path, KEY)
    command = [sys.executable, "-m", "helpers", "grade", str(subs), "--key", str(key), "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run([*command, "--jobs", "2"], cwd=paths.ROOT, capture_output=True, text=True, timeout=120)
    report_time("grade a class with a FIFO, a socket and nbformat 3 (command)", time.perf_counter() - start)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = read_grades(out)
    assert set(rows) == {"b09901001", "fifo", "old", "plain"}
    student = rows["b09901001"]
    assert student["q1"] == str(KEY["questions"]["1"]["points"]) and student["status"] == "error"
    assert "b09901001/pipe.ipynb: a FIFO (named pipe), not a regular file; skipped" in student["problems"]
    assert "b09901001/socket.ipynb: a socket, not a regular file" in student["problems"]
    assert "warning: b09901001/notes: a FIFO (named pipe)" in student["problems"]  # not a notebook's name
    assert rows["fifo"]["status"] == "error" and "fifo_01_lime.ipynb: a FIFO (named pipe)" in rows["fifo"]["problems"]
    old = rows["old"]  # read as nbformat.read(as_version=4) reads it: both answers count
    assert "error" not in old["problems"], old["problems"]
    assert float(old["score"]) == KEY["questions"]["1"]["points"] + KEY["questions"]["5"]["points"]
    assert hashes(subs) == before  # nothing modified; the special files are still what they were
    for name, what in special.items():
        mode = (subs / name).lstat().st_mode
        assert (stat.S_ISFIFO if what == "FIFO" else stat.S_ISSOCK)(mode), name


def test_nbformat_3_is_read_as_nbformat_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(_v3_notebook({1: "B", 5: "A"}))
    found = grading.read_answers(path, "old.ipynb", 2**20)
    assert not found.errors and [(n, a) for n, a, _ in found.calls] == [(1, "B"), (5, "A")]
    reference = nbformat.read(path, as_version=4)
    assert [c.cell_type for c in reference.cells] == ["markdown", "markdown", "code"]
    assert [where for *_, where in found.calls] == ["old.ipynb cell 3 line 2", "old.ipynb cell 3 line 3"]


def test_nbformat_3_without_its_metadata_is_graded_like_version_4(tmp_path: Path) -> None:
    """nbformat cannot convert an old notebook that lost its top-level metadata, but the cells, which are
    what is graded, are intact; a version-4 notebook without metadata is graded too (found by the fuzzer)."""
    path = tmp_path / "old.ipynb"
    old = json.loads(_v3_notebook({1: "B", 5: "A"}))
    del old["metadata"]
    path.write_text(json.dumps(old))
    found = grading.read_answers(path, "old.ipynb", 2**20)
    assert not found.errors and [(n, a) for n, a, _ in found.calls] == [(1, "B"), (5, "A")]


def test_a_fifo_swapped_in_after_the_check_is_refused_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regular, fifo = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    regular.write_text(_cells({1: RIGHT[1]}))
    os.mkfifo(fifo)
    real_lstat = os.lstat
    monkeypatch.setattr(untrusted.os, "lstat", lambda p: real_lstat(regular))  # the check saw a regular file
    with untrusted.time_limit(10):  # a blocking open() fails the test instead of stalling it
        found = grading.read_answers(fifo, "b.ipynb", 2**20)
    assert found.errors == ["b.ipynb: a FIFO (named pipe), not a regular file; not read."]


def test_one_student_over_the_time_limit_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading (in the worker processes) and listing (in the grader) that block in a real system call:
    the student who hit the limit is reported, everybody else is graded exactly, in bounded time."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for student in ("ann", "bob", "cat", "dan"):
        (subs / student).mkdir()
        (subs / student / "01_lime.ipynb").write_text(_cells({1: RIGHT[1]}))
    os.mkfifo(tmp_path / "never")
    read, walk = scoring.read_answers, submissions._walk

    def stuck_reading(path: Path, label: str, max_bytes: int) -> grading.FileAnswers:
        if label.startswith("bob/"):
            open(tmp_path / "never").close()  # blocks in the kernel: no writer will come
        return read(path, label, max_bytes)

    def stuck_listing(top: Path, *args) -> list:
        if top.name == "cat":
            open(tmp_path / "never").close()
        return walk(top, *args)

    monkeypatch.setattr(scoring, "read_answers", stuck_reading)
    monkeypatch.setattr(submissions, "_walk", stuck_listing)
    start = time.perf_counter()
    results = _grade(subs, tmp_path, jobs=2, read_timeout=2.0)  # margin for a busy machine
    assert time.perf_counter() - start < 30
    assert [results[s].answers[1] for s in ("ann", "dan")] == [RIGHT[1]] * 2
    assert results["bob"].status == "error" and results["bob"].answers[1] == ""
    assert "bob/01_lime.ipynb: reading stopped after 2 s (the limit for one student's files)" in _messages(
        results["bob"]
    )
    assert results["cat"].status == "error" and "listing this student's files took over 2 s" in _messages(
        results["cat"]
    )
    assert set(read_grades(tmp_path / "out")) == {"ann", "bob", "cat", "dan"}


# ---------------------------------------------------------------------------------------------------
# 14. names of any bytes (issue 31): each odd student graded beside a normal one by the command itself,
# the CSV read back by a CSV reader


NORMAL = sum(KEY["questions"][str(n)]["points"] for n in RIGHT)


def _write(path: bytes, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(text.encode())


def _with_normal(tmp_path: Path, files: dict[bytes, str]) -> Path:
    """A class: ``normal.ipynb`` (RIGHT) and ``files`` ({path under the folder, as bytes: notebook})."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "normal.ipynb").write_text(_cells(RIGHT))
    for name, text in files.items():
        _write(os.path.join(os.fsencode(subs), name), text)
    return subs


def _command(subs: Path, tmp_path: Path, out: Path, *extra: str) -> list[str]:
    return ["grade", str(subs), "--key", str(write_key(tmp_path, KEY)), "--out", str(out), *extra]


def _records(out: Path, students: int = 2, name: str = "grades.csv") -> dict[str, dict[str, str]]:
    """``name`` read back by a CSV reader: a header and one record per student, all of one length; the
    normal student graded in full. By id."""
    with open(out / name, newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    assert len(records) == students + 1 and {len(r) for r in records} == {len(records[0])}, records
    rows = {r[0]: dict(zip(records[0], r, strict=True)) for r in records[1:]}
    if name == "grades.csv":
        assert float(rows["normal"]["score"]) == NORMAL and rows["normal"]["status"] == "warnings"
    return rows


def _points(*numbers: int) -> float:
    return sum(KEY["questions"][str(n)]["points"] for n in numbers)


Q1 = _cells({1: RIGHT[1]})


def test_a_latin1_folder_is_graded_by_the_command(tmp_path: Path) -> None:
    """Issue 31, 1: the folder unzip makes of a latin-1 zip stopped the class with exit 2."""
    subs = _with_normal(tmp_path, {b"caf\xe9/01_lime.ipynb": Q1})
    before = hashes(subs)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "helpers", *_command(subs, tmp_path, out)]
    done = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(_records(out)["caf\\xe9"]["score"]) == _points(1)
    assert hashes(subs) == before


@pytest.mark.parametrize(
    ("files", "student", "score", "problem"),
    [
        ({"张三".encode("gbk") + b"/01_lime.ipynb": Q1}, r"\xd5\xc5\xc8\xfd", _points(1), ""),
        ({"陳大文".encode("big5") + b"_01_lime.ipynb": Q1}, r"\xb3\xaf\xa4j\xa4\xe5", _points(1), ""),
        (  # a file name that is not UTF-8 inside a normal folder, named by a message
            {b"bob/01_lime.ipynb": Q1, b"bob/notes\xe9\xff.ipynb": "{"},
            "bob",
            _points(1),
            "error: bob/notes\\xe9\\xff.ipynb: invalid JSON",
        ),
    ],
)
def test_names_that_are_not_utf8(tmp_path: Path, capsys, files: dict, student: str, score: float, problem: str) -> None:
    subs = _with_normal(tmp_path, files)
    out = Path(os.fsdecode(os.fsencode(tmp_path) + b"/out\xff"))  # printed when done: capsys writes strictly
    assert main(_command(subs, tmp_path, out, "--feedback")) == 0
    assert "out\\xff/grades.csv" in capsys.readouterr().out
    row = _records(out)[student]
    assert float(row["score"]) == score and problem in row["problems"]
    assert student in _records(out, name="answers.csv")
    in_markdown = student.replace("\\", "\\\\")  # a backslash escaped
    assert f"- **{in_markdown}** (" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / row["feedback"]).read_text().startswith(f"# Quiz feedback for {in_markdown}\n")


def test_ids_are_shown_printable_and_apart() -> None:
    ids = ["caf\udce9", "caf\\xe9", "caf\\\\xe9", "s1\rX", "s1\\rX", "a\u202eb", "a\\u202eb", "\x1b[1m", "ok", "OK"]
    shown = [names.shown_id(i) for i in ids]
    assert len(set(shown)) == len(ids) and all(s.isprintable() and s.encode("utf-8") for s in shown)
    assert shown[:4] == ["caf\\xe9", "caf\\\\xe9", "caf\\\\\\\\xe9", "s1\\rX"]
    assert names.readable("bob/x\udce9\r.ipynb: invalid") == "bob/x\\xe9\\r.ipynb: invalid"
    results = [grading.Result(i, {}, {}, 0.0, 1.0, [], [], 0) for i in [*ids, "x" * 300, "", "ann", "ann"]]
    files = outputs.feedback_names(results)
    assert len({f.casefold() for f in files}) == len(files)  # unique, even where case is ignored
    assert files[-3:] == ["student-e3b0c442.md", "ann.md", "ann-2.md"]
    assert all(len(f.encode()) <= names.FILE_STEM_BYTES + 15 and not f.startswith(".") for f in files)


def test_feedback_of_ids_at_the_name_limit(tmp_path: Path) -> None:
    """Issue 31, 2: feedback/<id>.md for a 253-255-byte id was over the 255-byte limit of a name."""
    ids = [b"a" * 255, b"a" * 253 + b"\xe9", "张".encode() * 85]  # 255, 254, 255 bytes
    subs = _with_normal(tmp_path, {name + b"/01_lime.ipynb": _cells({1: RIGHT[1]}) for name in ids})
    out = tmp_path / "out"
    assert main(_command(subs, tmp_path, out, "--feedback")) == 0
    rows = _records(out, students=4)
    shown = ["a" * 255, "a" * 253 + "\\xe9", "张" * 85]
    assert all(float(rows[s]["score"]) == _points(1) for s in shown)
    files = [rows[s]["feedback"] for s in [*shown, "normal"]]
    assert files[-1] == "feedback/normal.md" and len(set(files)) == 4
    assert sorted(p.name for p in (out / "feedback").iterdir()) == sorted(f.removeprefix("feedback/") for f in files)
    for student, name in zip(shown, files[:3], strict=True):
        assert len(os.fsencode(Path(name).name)) <= 120 and Path(name).name.startswith(student[:20])
        in_markdown = student.replace("\\", "\\\\")
        assert (out / name).read_text().startswith(f"# Quiz feedback for {in_markdown}\n")


def test_a_carriage_return_in_an_id_stays_in_one_record(tmp_path: Path) -> None:
    """Issue 31, 3: ``s1\\rX`` was written unquoted, so every CSV reader split it into two records."""
    subs = _with_normal(tmp_path, {b"s1\rX.ipynb": Q1})
    out = tmp_path / "out"
    assert main(_command(subs, tmp_path, out)) == 0
    rows = _records(out)
    assert float(rows["s1\\rX"]["score"]) == _points(1)
    assert set(_records(out, name="answers.csv")) == set(rows)
    assert "\r" not in (out / "grades.csv").read_text() + (out / "report.md").read_text()
    cells = ["s1\rX", "a\nb", 'say "hi"', "x,y", "=1+1", "\rX"]  # the writer itself quotes CR and LF
    assert next(csv.reader(io.StringIO(outputs._csv([cells]), newline=""))) == [*cells[:4], "'=1+1", "'\rX"]


def test_a_newline_in_a_flat_name_is_one_student(tmp_path: Path) -> None:
    """Issue 31, 4: ``s1\\nx_01_lime.ipynb`` was not split at ``_01_``: phantom students."""
    files = {b"s1\nx_01_lime.ipynb": _cells({1: RIGHT[1]}), b"s1\nx_02_saliency_map.ipynb": _cells({5: RIGHT[5]})}
    subs = _with_normal(tmp_path, files)
    out = tmp_path / "out"
    assert main(_command(subs, tmp_path, out)) == 0
    row = _records(out)["s1\\nx"]
    assert float(row["score"]) == _points(1, 5) and row["files"] == "2"
    assert grading.split_name("s1\nx_01_lime") == ("s1\nx", "01_lime")
    assert grading.strip_copy("s1\nx (1)") == ("s1\nx", True)


def test_answer_in_full_width_letters_counts_as_the_kernel_runs_it(tmp_path: Path) -> None:
    """Issue 31, 5: Python reads ``ａnswer`` as ``answer`` (NFKC), so the kernel records it; so does the grader."""
    wide = notebook(
        f'\uff41nswer(1, "{RIGHT[1]}")',
        f'\uff41\uff4e\uff53\uff57\uff45\uff52(number=5, letters="{RIGHT[5]}")',
        f'%time \uff41nswer(2, "{RIGHT[2]}")',
        f'\u0430nswer(2, "{RIGHT[2]}")',  # a Cyrillic a: another name, a NameError in the kernel too
    )
    subs = _with_normal(tmp_path, {b"wide.ipynb": wide})
    out = tmp_path / "out"
    assert main(_command(subs, tmp_path, out)) == 0
    row = _records(out)["wide"]
    assert float(row["score"]) == _points(1, 5) and row["q2"] == "0"
    assert "Q2: wide.ipynb cell 4 line 1: an answer inside the %time magic; not counted" in row["problems"]


# ---------------------------------------------------------------------------------------------------
# 15. a notebook of 100,000 cells: read in well under a second (times reported, not asserted)


def test_plain_answer_cells_read_as_the_full_reader_reads_them() -> None:
    """Cells of plain ``answer(N, "X")`` lines skip IPython's transformer and the parser: same result."""
    sources = [
        'answer(1, "B")',
        'answer(1, "B")\n',
        'answer(12, "A, c")\nanswer(2, "")\n',
        'answer(1, "B")\n\n',
        'answer(01, "B")',
        'answer(1, "B") ',
        'answer(1, "B")\r\n',
        'answer(1, "B")\nx',
        'answer(0, "B")',
    ]
    for source in sources:
        slow = grading.FileAnswers()
        reading._scan_python(source, "", slow)
        assert reading._scan_cell(source) == (tuple(slow.calls), tuple(slow.ignored)), source
    assert reading._plain_calls(sources[2]) == [(12, "A, c", 1), (2, "", 2)]
    assert [reading._plain_calls(s) for s in sources[3:]] == [None] * 6


def test_a_notebook_of_100000_cells(tmp_path: Path) -> None:
    empty = {"cell_type": "code", "source": [], "metadata": {}, "outputs": [], "execution_count": None}
    lesson = json.loads((paths.NOTEBOOKS / "01_lime.ipynb").read_text())["cells"]
    cells = [*([empty] * 50_000), *(lesson * 3000)[:50_000]]  # a third of the lesson's cells mention answer
    cells[-1] = {"cell_type": "code", "source": f'answer(1, "{RIGHT[1]}")', "metadata": {}}
    path = tmp_path / "huge.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    reading.prepare()  # the imports, once per process: not part of reading a notebook
    start = time.perf_counter()
    found = grading.read_answers(path, "huge.ipynb", 2**30)
    report_time("read a notebook of 100,000 cells (11 MB)", time.perf_counter() - start)
    assert not found.errors and found.calls[-1] == (1, RIGHT[1], "huge.ipynb cell 100000 line 1")
