"""``python -m helpers <command>``: the bundle's jobs from the command line.

Each command lives in the module named for it (``helpers/bundle/`` for the bundle's own jobs,
``helpers/instructor/`` for grading and the release); that module's ``register(subparsers)`` adds its
parser(s) and sets ``func`` (Namespace -> exit code). A module that is absent (the student release has no
``helpers/instructor/``) simply has no command.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "helpers.bundle.run",
    "helpers.bundle.train",
    "helpers.bundle.bench",
    "helpers.bundle.fetch",
    "helpers.instructor.grade",
    "helpers.instructor.release",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="hw9-xai: run the course notebooks, train/evaluate the classifier, grade, benchmark.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if not name.startswith(err.name or "<none>"):  # a real missing dependency: say so
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
