"""The grader under a seeded class of mutated submissions (issue 31): whatever a student hands in, the class
is graded, each student once, the outputs parse, nothing is changed, every unreadable file is reported.

A few hundred students built from the real lessons (``fuzz_submissions``), each with 1-3 of its mutations;
seconds, so it runs with the other grader tests (a standalone run grades 10,000 the same way)."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest
from fuzz_submissions import KINDS, check_outputs, mutated_student, tree_state, write_class
from test_grade import make_key, write_key

from helpers.__main__ import main

from conftest import report_time

STUDENTS = 300
MAX_MB = 4.0


@pytest.fixture(scope="module")
def fuzzed_class(tmp_path_factory: pytest.TempPathFactory):
    """The class, written once: (folder, key, key file, students)."""
    root = tmp_path_factory.mktemp("fuzz")
    key = make_key(seed=31)
    rng = random.Random(31)
    kinds = sorted(KINDS)
    students = [  # every kind at least once, then 1-3 random kinds each
        mutated_student(rng, i, key, [kinds[i]] if i < len(kinds) else None, MAX_MB) for i in range(STUDENTS)
    ]
    write_class(root / "submissions", students, MAX_MB)
    return root / "submissions", key, write_key(root, key), students


def test_every_kind_is_made(fuzzed_class) -> None:
    *_, students = fuzzed_class
    made = Counter(kind for s in students for kind in s.mutations)
    assert set(made) == set(KINDS) and len(KINDS) >= 80
    assert sum(s.must_error for s in students) > 30
    assert sum(s.expected_score(fuzzed_class[1]) is not None for s in students) > 150  # most scores are known


def test_a_fuzzed_class_is_graded_whole(fuzzed_class, tmp_path: Path) -> None:
    folder, key, key_path, students = fuzzed_class
    before = tree_state(folder)
    out = tmp_path / "out"
    args = ["grade", str(folder), "--key", str(key_path), "--out", str(out), "--jobs", "2", "--feedback"]
    start = time.perf_counter()
    assert main([*args, "--max-mb", str(MAX_MB)]) == 0
    report_time(f"grading {len(students)} fuzzed students, --jobs 2 --feedback", time.perf_counter() - start)
    assert tree_state(folder) == before
    assert check_outputs(out, students, key) == []
