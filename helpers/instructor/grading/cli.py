r"""Grade students' answered notebooks from their ``answer(N, "B")`` cells, without running them.

Where the submissions are (SUBMISSIONS_DIR; one entry per student, in any mix):
  <student_id>/               a folder of that student's notebooks (any *.ipynb at any depth)
  <student_id>.ipynb          one notebook holding the student's answers
  <student_id>_<NN_name>.ipynb  one course notebook, e.g. b09901001_01_lime.ipynb (the id ends where
                              the first _<two digits>_ begins)
Anything else at the top level (alice.pdf, alice.zip) is a submission with status "error", so nobody
drops out of grades.csv. Symbolic links are not followed (reported); browser copies ("x (1).ipynb",
"x(2).ipynb", "x - Copy.ipynb") count once: the most recently modified copy is read (reported); ids
are compared in Unicode NFC form and without case (merges reported). A name may hold any bytes (a zip
made in another encoding): outputs and messages show bytes that are not UTF-8 as \xNN, control
characters as \r, \n, \t or \uNNNN, and a backslash in an id as \\. FIFOs, sockets and device nodes
(unzip and tar can make them) are never opened: each is reported for its student, with what it is.
Listing and reading one student's files stops after --read-timeout seconds (that student is reported).

What counts: a top-level line answer(N, "X") in a code cell, with literal arguments, after IPython's own
input transformer has turned %magics and !shell lines into Python (as the kernel does before running),
the name read as Python reads it (NFKC: "answer" typed in full-width letters is answer). The last counted
answer to a question wins. Anything else that mentions answer is reported for its question with the
reason it does not count: inside if/for/with/try or a function, inside a magic such as %time, part of a
larger expression, non-literal arguments, a syntax error, and answers written in a markdown cell
(reported for unanswered questions). Code is never run, unless --execute.

Scoring: exact letters earn the points (multi-select all-or-nothing); --partial-credit gives
points * max(0, right - wrong picks) / correct letters. Status: ok, warnings (graded, but look), error
(part could not be read; the score counts what was read). Every problem stays with its student.

Outputs (--out, written as one set: after a kill --out holds the old set or the new one, never a mix;
--force replaces the whole set, feedback/ included): grades.csv, answers.csv, report.md,
score_histogram.png, and with --feedback feedback/<student>.md (an id that is not a short, safe file
name: a cut, safe form of it and a short hash; grades.csv's feedback column names each student's file).
CSV cells that would start a spreadsheet formula (=, +, -, @) get a leading '; cells with a comma,
quote, CR or LF are quoted.

--execute runs a scratch copy of each notebook (papermill) with limits on CPU time, memory, file size
and processes, and inside a bubblewrap sandbox (no network, read-only outside the copy) where bwrap is
installed; the grader prints which protection is in force.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from helpers.instructor.grading.names import readable
from helpers.instructor.grading.scoring import DEFAULT_MAX_MB
from helpers.instructor.grading.untrusted import DEFAULT_READ_TIMEOUT


def run_grading(
    submissions_dir: Path,
    key: str | Path,
    out: Path,
    force: bool = False,
    jobs: int = 1,
    partial_credit: bool = False,
    execute: bool = False,
    timeout: float = 600.0,
    feedback: bool = False,
    max_mb: float = DEFAULT_MAX_MB,
    kernel: str = "python3",
    progress: bool = True,
    read_timeout: float | None = DEFAULT_READ_TIMEOUT,
) -> list[Any]:
    """Grade a folder of submissions and write the outputs; raises ValueError/FileExistsError on misuse.

    ``read_timeout``: seconds to list, and then to read, one student's files (``None``: no limit).
    """
    from helpers.instructor.grading.execute import Sandbox
    from helpers.instructor.grading.outputs import check_out, write_outputs
    from helpers.instructor.grading.scoring import grade_all
    from helpers.instructor.grading.submissions import find_submissions
    from helpers.instructor.keys import load_key

    submissions_dir, out = Path(submissions_dir), Path(out)
    loaded = load_key(key)
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"submissions folder {submissions_dir} does not exist.")
    if out.resolve() == submissions_dir.resolve() or submissions_dir.resolve() in out.resolve().parents:
        raise ValueError(
            f"--out {out} is inside the submissions folder; choose a folder outside it, so "
            "the submissions stay untouched."
        )
    check_out(out, force)
    sandbox = Sandbox(timeout=timeout, kernel=kernel) if execute else None
    if sandbox is not None and progress:
        print(f"--execute: {sandbox.protection}", file=sys.stderr)
    start = time.perf_counter()
    results = grade_all(
        find_submissions(submissions_dir, read_timeout),
        loaded,
        jobs=jobs,
        progress=progress,
        partial_credit=partial_credit,
        max_bytes=int(max_mb * 2**20),
        execute=sandbox,
        read_timeout=read_timeout,
    )
    write_outputs(
        results,
        loaded,
        out,
        partial_credit,
        time.perf_counter() - start,
        feedback,
        sandbox.protection if sandbox else "",
    )
    return results


def _benchmark(args: argparse.Namespace) -> int:
    from helpers.instructor.grading.benchmark import benchmark
    from helpers.instructor.keys import load_key

    key = load_key(args.key) if args.key else None
    summary = benchmark(args.benchmark, sorted({1, max(1, args.jobs)}), Path(args.out) if args.out else None, key)
    for n_jobs, seconds in summary["seconds"].items():
        print(
            f"--jobs {n_jobs}: {seconds:.2f} s for {summary['students']} submissions, "
            f"{summary['notebooks']} notebooks ({summary['megabytes']:.0f} MB)"
        )
    print("scores match the generated answers:", summary["scores_match"])
    if args.out:
        print(f"wrote {Path(args.out) / 'benchmark_grade.png'} and benchmark_grade.md")
    return 0 if summary["scores_match"] else 1


def _usage_error(args: argparse.Namespace) -> str:
    """What is wrong with the arguments ("" when nothing)."""
    if args.jobs < 1:
        return "--jobs must be at least 1."
    if args.benchmark:
        return ""
    if args.timeout <= 0 or args.max_mb <= 0 or args.read_timeout <= 0:
        return "--timeout, --read-timeout and --max-mb must be positive."
    if not args.submissions or not args.key or not args.out:
        return "grade needs SUBMISSIONS_DIR, --key and --out (see --help)."
    if args.execute:
        from jupyter_client.kernelspec import KernelSpecManager

        if args.kernel not in KernelSpecManager().find_kernel_specs():
            return (
                f"no Jupyter kernel named {args.kernel!r}; install one with `{sys.executable} -m ipykernel "
                f"install --sys-prefix --name {args.kernel}`."
            )
    return ""


def _main(args: argparse.Namespace) -> int:
    problem = _usage_error(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.benchmark:
        return _benchmark(args)
    import statistics
    from collections import Counter

    from helpers.instructor.keys import AnswerKeyError

    try:
        results = run_grading(
            Path(args.submissions),
            args.key,
            Path(args.out),
            args.force,
            args.jobs,
            args.partial_credit,
            args.execute,
            args.timeout,
            args.feedback,
            args.max_mb,
            args.kernel,
            read_timeout=args.read_timeout,
        )
    except (AnswerKeyError, FileExistsError, FileNotFoundError, ValueError) as err:
        print(f"error: {readable(str(err))}", file=sys.stderr)
        return 2
    counts = Counter(r.status for r in results)
    mean = statistics.mean(r.score for r in results) if results else 0.0
    print(
        f"graded {len(results)} submissions: {counts['ok']} ok, {counts['warnings']} with warnings, "
        f"{counts['error']} with errors; mean score {mean:.2f}."
    )
    print(f"wrote {readable(str(Path(args.out) / 'grades.csv'))} and report.md (problems listed there).")
    return 0


def register(subparsers: Any) -> None:
    """Add ``grade`` to ``python -m helpers``."""
    doc = __doc__ or ""
    parser = subparsers.add_parser(
        "grade",
        help="grade answered notebooks (instructors)",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python -m helpers grade submissions/ --key course --out grades/ --jobs 2",
    )
    parser.add_argument(
        "submissions",
        nargs="?",
        metavar="SUBMISSIONS_DIR",
        help="folder with one folder or notebook(s) per student (rules above)",
    )
    parser.add_argument("--key", help="answer key: 'course', 'embedded' (data/keys/<name>.json) or a path")
    parser.add_argument("--out", help="folder for the outputs (new, empty, or an earlier set of them)")
    parser.add_argument("--force", action="store_true", help="replace an earlier set of outputs in --out")
    parser.add_argument("--jobs", type=int, default=1, help="processes to grade with (default 1)")
    parser.add_argument(
        "--partial-credit",
        action="store_true",
        help="multi-select: points * max(0, right - wrong picks) / correct letters",
    )
    parser.add_argument(
        "--execute",
        action="store_true",
        help="also run a contained copy of each notebook (papermill) and report failures; "
        "RUNS STUDENT CODE (protection above)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="--execute: seconds (wall and CPU) per notebook (600)"
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=DEFAULT_READ_TIMEOUT,
        help=f"seconds to list, and to read, one student's files (default {DEFAULT_READ_TIMEOUT:g}); a student "
        "over it is reported, and graded on the files read in time",
    )
    parser.add_argument("--kernel", default="python3", help="--execute: Jupyter kernel name (python3)")
    parser.add_argument(
        "--feedback", action="store_true", help="write feedback/<student>.md per student (named in grades.csv)"
    )
    parser.add_argument(
        "--max-mb",
        type=float,
        default=DEFAULT_MAX_MB,
        help=f"skip (and report) files larger than this (default {DEFAULT_MAX_MB:g})",
    )
    parser.add_argument(
        "--benchmark",
        type=int,
        metavar="N",
        help="instead: grade N generated submissions x 8 notebooks with --jobs 1 and --jobs, "
        "timed; writes benchmark_grade.png into --out if given",
    )
    parser.set_defaults(func=_main)
