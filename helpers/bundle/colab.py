"""Run a lesson wherever a student opens it: the notebooks' setup cell and the "Open in Colab" links.

One setting, :data:`REPOSITORY` (the bundle's GitHub repository, ``"owner/name"``), makes both: each
lesson's Colab link (README, the built site) and the default install source of the setup cell, the wheel
that ``make release`` builds, attached to the repository's release ``v<version>``. Unset, no link is shown
and the setup cell installs only from ``HW9_WHEEL``.

The setup cell comes right after each notebook's ``parameters`` cell (tagged ``setup``). Where
``helpers`` imports (a checkout, the bundle installed with pip) it only checks that the installed bundle
is the notebook's version; opened alone (Colab, Kaggle, a bare Jupyter) it installs the bundle with pip
from ``HW9_WHEEL`` (a wheel URL or path) or the release's wheel. ``python -m helpers colab --write``
rewrites the cells and the README's links after a change of version or repository.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import helpers
from helpers import paths

#: The bundle's repository on GitHub, "owner/name"; empty: no Colab links, no default install source.
REPOSITORY = ""
#: The branch whose notebooks the Colab links open.
BRANCH = "main"
#: The environment variable that names the install source (a wheel URL or path) for every notebook.
SOURCE_VARIABLE = "HW9_WHEEL"
SETUP_TAG = "setup"
README_START, README_END = "<!-- colab-links -->", "<!-- /colab-links -->"

#: The setup cell; {version} and {default} are filled in, the cell itself may use no loop or function
#: (tests/test_notebooks.py keeps machinery out of the cells).
SETUP_CELL = """\
# Setup: opened alone (Colab, Kaggle), this installs the bundle; where `helpers` imports, it does nothing.
import importlib.util, os, re, subprocess, sys
BUNDLE = "{version}"  # the bundle version of this notebook
source = os.environ.get("{variable}", "{default}")  # the bundle's wheel, a URL or a path
if importlib.util.find_spec("helpers") is None:
    print(f"Installing hw9-xai {{BUNDLE}} and what it needs from {{source or '(nowhere: {variable} is unset)'}} ...")
    pip = source and subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], capture_output=True,
                                    text=True)
    if not pip or pip.returncode:
        why = re.findall(r"^\\s*(?:ERROR:|×|╰─>)\\s*(.+)$", pip.stderr, re.M)[-1:] if pip else ["no source is set"]
        raise RuntimeError(f"could not install the bundle from {{source!r}}: {{(why or ['pip failed'])[0]}}\\n"
                           f"Set {variable} to the bundle's wheel (a URL or a path), e.g. "
                           f"%env {variable}=/content/hw9_xai-{{BUNDLE}}-py3-none-any.whl, and run this cell again.")
    importlib.invalidate_caches()
import helpers
if helpers.__version__ != BUNDLE:
    print(f"NOTE: this notebook is from hw9-xai {{BUNDLE}}, but hw9-xai {{helpers.__version__}} is installed: "
          f"its lessons may differ. Install the {{BUNDLE}} wheel ({variable}) in a fresh runtime.")"""


def wheel_name(version: str = helpers.__version__) -> str:
    """The file name of the bundle's wheel."""
    return f"hw9_xai-{version}-py3-none-any.whl"


def wheel_url(version: str = helpers.__version__, repository: str | None = None) -> str:
    """The release wheel's download URL (``repository`` default: :data:`REPOSITORY`), or "" when unset."""
    repository = REPOSITORY if repository is None else repository
    if not repository:
        return ""
    return f"https://github.com/{repository}/releases/download/v{version}/{wheel_name(version)}"


def colab_url(notebook: str, repository: str | None = None) -> str:
    """The "Open in Colab" address of ``notebook`` (a stem, ``00_observe``), or "" when no repository is set."""
    repository = REPOSITORY if repository is None else repository
    if not repository:
        return ""
    return f"https://colab.research.google.com/github/{repository}/blob/{BRANCH}/notebooks/{notebook}.ipynb"


def setup_cell(version: str = helpers.__version__, repository: str | None = None) -> str:
    """The source of the notebooks' setup cell."""
    return SETUP_CELL.format(version=version, variable=SOURCE_VARIABLE, default=wheel_url(version, repository))


def readme_links(notebooks: list[Path], repository: str | None = None) -> str:
    """The README's block of Colab links, one per lesson (between its markers); a note when unset."""
    repository = REPOSITORY if repository is None else repository
    if not repository:
        body = (
            "(Open-in-Colab links appear here once `REPOSITORY` in `helpers/bundle/colab.py` names the "
            "bundle's GitHub repository; then run `python -m helpers colab --write`.)"
        )
    else:
        body = "\n".join(f"- [{nb.stem}]({colab_url(nb.stem, repository)})" for nb in notebooks)
    return f"{README_START}\n{body}\n{README_END}"


def with_setup_cell(text: str, cell_source: str) -> str:
    """A notebook's JSON text with its setup cell (after the ``parameters`` cell) put in or brought up to date."""
    import nbformat

    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    tagged = [i for i, c in enumerate(nb.cells) if SETUP_TAG in c.get("metadata", {}).get("tags", [])]
    if tagged:
        nb.cells[tagged[0]].source = cell_source
    else:
        where = next(i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", []))
        cell = nbformat.v4.new_code_cell(cell_source, metadata={"tags": [SETUP_TAG]})
        cell.id = f"{(nb.cells[where].get('id') or 'lesson').rsplit('-', 1)[0]}-setup"
        nb.cells.insert(where + 1, cell)
    return nbformat.writes(nb) + "\n"


def write(notebooks: list[Path], readme: Path) -> list[Path]:
    """Bring the notebooks' setup cells and the README's links up to date; return the files changed."""
    changed = []
    for nb in notebooks:
        old = nb.read_text(encoding="utf-8")
        new = with_setup_cell(old, setup_cell())
        if new != old:
            nb.write_text(new, encoding="utf-8")
            changed.append(nb)
    text = readme.read_text(encoding="utf-8")
    block = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if not block.search(text):
        raise ValueError(f"{readme} has no {README_START} ... {README_END} block to fill in; add one.")
    new = block.sub(lambda _: readme_links(notebooks), text)
    if new != text:
        readme.write_text(new, encoding="utf-8")
        changed.append(readme)
    return changed


def _cli(args: argparse.Namespace) -> int:
    lessons = paths.lessons()
    if args.write:
        changed = write(lessons, paths.ROOT / "README.md")
        print("\n".join(f"updated {p}" for p in changed) or "the setup cells and the README's links are up to date")
        return 0
    for nb in lessons:
        print(f"{nb.stem}: {colab_url(nb.stem) or '(no link: REPOSITORY is unset in helpers/bundle/colab.py)'}")
    print(f"install source: ${SOURCE_VARIABLE}, else {wheel_url() or '(none: REPOSITORY is unset)'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``colab`` command."""
    p = subparsers.add_parser(
        "colab",
        help="the lessons' Open-in-Colab links and their setup cell",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--write", action="store_true", help="rewrite the setup cells and the README's links")
    p.set_defaults(func=_cli)
