"""Grading a class's answered notebooks (``python -m helpers grade``), one module per step.

- :mod:`.submissions`: which files belong to which student (links, browser copies, Unicode ids);
- :mod:`.names`: ids and file names of any bytes, shown printable and used to name feedback files;
- :mod:`.reading`: the answers in one notebook, read without running it (what counts is stated there);
- :mod:`.untrusted`: opening a student's files (regular files only, never blocking) and the time limit per student;
- :mod:`.scoring`: one submission against a key, and a whole class in worker processes;
- :mod:`.execute`: ``--execute``, a contained run of each notebook;
- :mod:`.outputs`: grades.csv, answers.csv, report.md, the histogram and feedback, written as one set;
- :mod:`.cli`: the command line;
- :mod:`.benchmark`: ``--benchmark N``, the grader timed on a class that :mod:`helpers.bundle.fake_class` writes.

Keys are read by :mod:`helpers.instructor.keys`.
"""

from helpers.instructor.grading.cli import run_grading
from helpers.instructor.grading.execute import Sandbox, execute_notebook
from helpers.instructor.grading.outputs import OUTPUT_NAMES, answers_csv, grades_csv, write_outputs
from helpers.instructor.grading.reading import FileAnswers, read_answers
from helpers.instructor.grading.scoring import DEFAULT_MAX_MB, Result, grade_all, grade_submission, question_points
from helpers.instructor.grading.submissions import Submission, find_submissions, split_name, strip_copy
from helpers.instructor.keys import AnswerKeyError, load_key

__all__ = [
    "DEFAULT_MAX_MB",
    "OUTPUT_NAMES",
    "AnswerKeyError",
    "FileAnswers",
    "Result",
    "Sandbox",
    "Submission",
    "answers_csv",
    "execute_notebook",
    "find_submissions",
    "grade_all",
    "grade_submission",
    "grades_csv",
    "load_key",
    "question_points",
    "read_answers",
    "run_grading",
    "split_name",
    "strip_copy",
    "write_outputs",
]
