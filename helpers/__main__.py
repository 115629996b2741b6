"""``python -m helpers <command>``: the bundle's jobs from the command line.

Each command lives in the module :data:`COMMANDS` names (``helpers/bundle/`` for the bundle's own jobs,
``helpers/instructor/`` for grading and the release); that module's ``register(subparsers)`` adds its
parser(s) and sets ``func`` (Namespace -> exit code). Only the chosen command's module is imported, so
``python -m helpers grade --help`` does not pay for torch. A module that is absent (the student release
has no ``helpers/instructor/``) simply has no command.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

#: command -> (module that registers it, one line for the command list).
COMMANDS = {
    "run": ("helpers.bundle.run", "execute the notebooks headless into build/"),
    "train": ("helpers.bundle.train", "train the classifier (default: the embedded checkpoint)"),
    "evaluate": ("helpers.bundle.train", "accuracy of a checkpoint on a split"),
    "train-qa": ("helpers.bundle.train_qa", "fine-tune the packaged MiniLM for extractive QA (LoRA + span head)"),
    "bench": ("helpers.bundle.bench", "time the explanation methods"),
    "fetch": ("helpers.bundle.fetch", "download or lay out Food-11"),
    "colab": ("helpers.bundle.colab", "the lessons' Open-in-Colab links and their setup cell"),
    "grade": ("helpers.instructor.grading.cli", "grade answered notebooks (instructors)"),
    "release": ("helpers.instructor.release", "build the student version of the bundle (instructors)"),
}


def available(module: str) -> bool:
    """Whether ``module`` is part of this copy of the bundle (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, that command's module registers its real parser, the others are listed."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="hw9-xai: run the course notebooks, train/evaluate the classifier, grade, benchmark.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    if command in COMMANDS and available(COMMANDS[command][0]):
        importlib.import_module(COMMANDS[command][0]).register(subparsers)
    for name, (module, help_line) in COMMANDS.items():
        if name not in subparsers.choices and available(module):
            subparsers.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
