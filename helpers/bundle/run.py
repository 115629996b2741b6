"""Execute the notebooks headless: ``python -m helpers run`` (what ``make run`` does).

Each notebook in ``notebooks/`` is executed with papermill into ``build/`` (installed from the wheel:
``build/`` in the user's cache folder, see ``helpers.paths``; the sources are never touched) and its
figures are saved as PNG files under ``build/figures/``; then the executed lessons are rendered as a small
self-contained site (``helpers.bundle.site``): ``build/index.html``, the course's front page, and one
linked page per lesson.

The kernels draw figures inline whatever the environment says: ipykernel takes its matplotlib backend
from ``MPLBACKEND`` when it is set, and with ``MPLBACKEND=Agg`` (common on CI machines and servers) a
kernel draws nothing and no cell fails. So the bundle's kernels get :data:`KERNEL_ENV`, and a lesson
whose figure cells (:func:`is_figure_cell`) show no figure is a failed run that names those cells.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.bundle.site import Outcome, build_site

#: Reduced parameters for quick runs (tests, CI, the browser test); the notebooks' own parameters
#: cells hold the course's defaults, which ``--profile course`` (the default) keeps.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "course": {},
    "quick": {
        # CNN notebooks: fewer samples / steps; the same images, checkpoint and seeds.
        "01_lime": {"num_samples": 50},
        "03_smooth_grad": {"samples": 8},
        "04_filter_explanation": {"iterations": 5},
        "05_integrated_gradients": {"steps": 5, "more_steps": 10},
        "08_evaluating_explanations": {
            "per_class": 1,
            "smoothgrad_samples": 4,
            "ig_steps": 4,
            "lime_samples": 30,
            "curve_steps": 5,
            "sanity_images": 1,
        },
        "09_clever_hans": {"per_class": 1, "smoothgrad_samples": 4, "ig_steps": 4, "lime_samples": 30},
    },
}


#: matplotlib's inline backend for IPython kernels (the one ipykernel picks when ``MPLBACKEND`` is unset).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: What the bundle's kernels get in their environment, over the caller's (``make lab`` sets the same).
KERNEL_ENV = {"MPLBACKEND": INLINE_BACKEND}
#: A figure cell assigns one of these names at its top level (``fig = plot_rows(...)``, ``figures = ...``,
#: ``fig, ax = plt.subplots()``), as every lesson does where it draws.
FIGURE_NAMES = frozenset({"fig", "figures"})


class MissingFigure(RuntimeError):
    """A lesson ran, but cells that draw showed no figure."""


def local_kernel_manager() -> type:
    """A jupyter kernel manager whose kernel talks over local IPC sockets in the temp folder instead of
    TCP on 127.0.0.1 (nothing listens on a port, and ipykernel does not warn about unencrypted TCP), and
    whose kernel gets :data:`KERNEL_ENV` over the environment and the kernel spec's own ``env``."""
    from jupyter_client.manager import KernelManager

    class LocalKernelManager(KernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"  # socket files "<ip>-<n>", removed when the kernel shuts down
            self.ip = os.path.join(tempfile.gettempdir(), f"hw9-kernel-{uuid.uuid4().hex[:12]}")

        @property
        def kernel_spec(self) -> Any:
            spec = super().kernel_spec  # the launcher applies the spec's env over the inherited one
            if spec is not None:
                spec.env = {**spec.env, **KERNEL_ENV}
            return spec

    return LocalKernelManager


def is_figure_cell(source: str) -> bool:
    """Whether a code cell draws: a top-level assignment to a name in :data:`FIGURE_NAMES`. A figure drawn
    only under an ``if`` (say, when an image exists) does not make a figure cell."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    targets = [t for s in body if isinstance(s, ast.Assign) for t in s.targets]
    targets += [s.target for s in body if isinstance(s, ast.AnnAssign)]
    return any(isinstance(n, ast.Name) and n.id in FIGURE_NAMES for t in targets for n in ast.walk(t))


def cells_without_figures(executed: Path) -> list[str]:
    """The figure cells of an executed notebook that show no image, as ``cell N (first line)`` with N
    counted in the source notebook (papermill's injected parameters cell left out)."""
    import nbformat

    cells = nbformat.read(executed, as_version=4).cells
    cells = [c for c in cells if "injected-parameters" not in c.metadata.get("tags", [])]
    return [
        f"cell {number} ({cell.source.splitlines()[0][:60]})"
        for number, cell in enumerate(cells, 1)
        if cell.cell_type == "code"
        and is_figure_cell(cell.source)
        and not any(key.startswith("image/") for o in cell.get("outputs", []) for key in o.get("data", {}))
    ]


def execute(
    source: Path,
    target: Path,
    parameters: dict[str, Any] | None = None,
    kernel: str = "python3",
    timeout: int = 1800,
    cwd: Path | None = None,
) -> None:
    """Execute one notebook into ``target`` as the bundle runs lessons: papermill, a
    :func:`local_kernel_manager` kernel (figures inline), ``cwd`` as working directory (default: the
    notebooks folder, or the output folder when installed from the wheel: never write into site-packages).

    Raises papermill's errors (a failing cell, a timeout, a dead kernel), and :class:`MissingFigure`
    naming the figure cells that showed no figure.
    """
    import papermill

    papermill.execute_notebook(
        str(source),
        str(target),
        parameters=parameters or {},
        kernel_name=kernel,
        cwd=str(cwd or (target.parent if paths.INSTALLED else paths.NOTEBOOKS)),
        progress_bar=False,
        execution_timeout=timeout,
        kernel_manager_class=local_kernel_manager(),
    )
    missing = cells_without_figures(target)
    if missing:
        raise MissingFigure(f"{len(missing)} figure cell(s) showed no figure: {'; '.join(missing)}.")


def save_figures(executed: Path, folder: Path) -> int:
    """Write every PNG output of an executed notebook to ``folder``; return how many."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    count = 0
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                count += 1
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{executed.stem}_cell{index:02d}_{count}.png").write_bytes(
                    base64.b64decode(data["image/png"])
                )
    return count


def declared_parameters(notebook: Path) -> set[str]:
    """The names a notebook's ``parameters`` cell declares, as papermill reads them."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def parameters_for(chosen: list[Path], parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per notebook, the ``parameters`` it declares: a CNN notebook gets ``data_dir``, a BERT one does not.

    Raises ValueError naming a parameter that no chosen notebook declares (a typo, most likely).
    """
    declared = {source.stem: declared_parameters(source) for source in chosen}
    unknown = sorted(set(parameters) - set().union(*declared.values()))
    if unknown:
        known = ", ".join(sorted(set().union(*declared.values())))
        raise ValueError(
            f"no notebook among {', '.join(declared)} declares the parameter(s) {', '.join(unknown)}; "
            f"their parameters cells declare: {known}."
        )
    return {name: {k: v for k, v in parameters.items() if k in names} for name, names in declared.items()}


def run(
    pattern: str = "*",
    out: Path = paths.BUILD,
    profile: str = "course",
    parameters: dict[str, Any] | None = None,
    kernel: str = "python3",
    timeout: int = 1800,
) -> list[Outcome]:
    """Execute the notebooks matching ``pattern`` into ``out``; return one Outcome each."""
    chosen = paths.lessons(pattern)
    if not chosen:
        raise FileNotFoundError(f"no notebook in {paths.NOTEBOOKS} matches {pattern!r}")
    passed = parameters_for(chosen, parameters or {})
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the embedded default never needs the network
    outcomes = []
    for source in chosen:
        params = {**PROFILES[profile].get(source.stem, {}), **passed[source.stem]}
        target = out / source.name
        skipped = sorted(set(parameters or {}) - set(passed[source.stem]))
        note = f" (not its parameters: {', '.join(skipped)})" if skipped else ""
        print(f"running {source.name}{note} ...", flush=True)
        started = time.perf_counter()
        try:
            execute(source, target, params, kernel, timeout)
            outcome = Outcome(source.stem, True, time.perf_counter() - started)
        except Exception as err:  # papermill's PapermillExecutionError, timeouts, kernel deaths, MissingFigure
            outcome = Outcome(source.stem, False, time.perf_counter() - started, str(err).strip().splitlines()[-1])
        if target.exists():
            outcome.figures = save_figures(target, out / "figures")
        print(
            f"  {'ok' if outcome.ok else 'FAILED'} in {outcome.seconds:.1f} s"
            + (f": {outcome.error}" if outcome.error else ""),
            flush=True,
        )
        outcomes.append(outcome)
    print("writing the lesson pages and index.html ...", flush=True)
    build_site(out, outcomes, profile)
    (out / "times.json").write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    return outcomes


def _cli(args: argparse.Namespace) -> int:
    params = {}
    for item in args.parameter:
        key, _, value = item.partition("=")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    try:
        outcomes = run(args.notebooks, Path(args.out), args.profile, params, timeout=args.timeout)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}")
        return 1
    failed = [o.notebook for o in outcomes if not o.ok]
    print(f"{len(outcomes) - len(failed)}/{len(outcomes)} notebooks ok; see {Path(args.out) / 'index.html'}")
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    p = subparsers.add_parser(
        "run",
        help="execute the notebooks headless into build/",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--notebooks", default="*", help="glob of notebook names, e.g. '0[0-2]*' (default: all)")
    p.add_argument("--out", default=str(paths.BUILD), help=f"output folder (default: {paths.BUILD})")
    p.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="course",
        help="course = the course's defaults; quick = reduced sample counts",
    )
    p.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help='override a notebook parameter (JSON value), e.g. -p device="cpu"; passed only to '
        "the notebooks whose parameters cell declares it",
    )
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell before giving up")
    p.set_defaults(func=_cli)
