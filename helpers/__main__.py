"""``python -m helpers <command>``: the bundle's jobs from the command line.

Each command lives in the module named for it; that module's ``register(subparsers)`` adds its
parser(s) and sets ``func`` (Namespace -> exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = ("run", "train", "bench", "grade", "release", "fetch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="hw9-xai: run the course notebooks, train/evaluate the classifier, grade, benchmark.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"helpers.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"helpers.{name}":  # a real missing dependency: say so
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
