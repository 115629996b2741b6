"""Lessons opened alone, the way a student opens one in Colab: a clone of a test environment
(tests/environments.py: ``colab``, Colab's published versions, or ``lowest``, the bundle's declared lower
bounds), each notebook copied alone into an empty folder and executed headless with its setup cell
installing the wheel built from this checkout.

``tests/test_student_environments.py`` runs one lesson in each environment; run all nine in Colab's with

    .venv/bin/python tests/fresh_install.py [--env colab|lowest] [--profile course|quick] [--keep DIR]

(a few minutes: the environment is built once into ~/.cache/hw9-xai/test-envs, and the synthetic images are
generated afresh in the clone's cache). It prints each lesson's time and pip's list before and after, and
fails on the first lesson that does not run or when an installed package was upgraded, downgraded or removed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from helpers import paths
from helpers.bundle.run import PROFILES

from environments import ABSENT, NAMES, make_env  # first: it puts the checkout on sys.path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", choices=NAMES, default="colab", help="the test environment (default: colab)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--keep", help="build the environment in this folder and keep it (default: a temporary one)")
    parser.add_argument("--notebooks", default="[0-9][0-9]_*", help="glob of the lessons to run (default: all)")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="hw9-fresh-"))
    try:
        started = time.perf_counter()
        env = make_env(args.env, folder)
        before = env.freeze()
        present = sorted(set(ABSENT) & set(before))
        if present and args.env == "colab":
            raise RuntimeError(f"the Colab environment already holds {', '.join(present)}")
        print(f"{args.env} environment and wheel {env.wheel.name} in {time.perf_counter() - started:.0f} s")
        print("before: " + " ".join(f"{name}=={version}" for name, version in sorted(before.items())))
        for stem in sorted(p.stem for p in paths.NOTEBOOKS.glob(f"{args.notebooks}.ipynb")):
            env.pip("uninstall", "-y", "-q", "hw9-xai")  # each lesson's setup cell installs the bundle again
            print(f"{stem}: ran in {env.run_notebook(stem, args.profile):.0f} s", flush=True)
        cli = env.run_python("-m", "helpers", "run", "--notebooks", "00_observe", "--profile", "quick")
        built = env.cache / "hw9-xai" / "build" / "index.html"
        print(f"python -m helpers run, outside the checkout: exit {cli.returncode}, {built} written: {built.is_file()}")
        if cli.returncode:
            print(cli.stdout[-2000:] + cli.stderr[-3000:])
        changed = env.changed(before)
        after = env.freeze()
        print("added: " + " ".join(f"{name}=={after[name]}" for name in sorted(set(after) - set(before))))
        print("installed packages kept: " + ("all" if not changed else f"NO, changed: {', '.join(changed)}"))
        return 1 if changed or cli.returncode or not built.is_file() else 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
