"""A private JupyterLab on a temporary copy of the notebooks (what the browser test drives), and a classic
Notebook 6.5 server of another environment (Colab's front end's closest relative).

``prepare_notebooks`` writes copies of the lesson notebooks with a profile's parameters injected
(papermill's ``injected-parameters`` cell, as ``python -m helpers run`` would inject them), so running
them in the UI uses the same reduced parameters as a quick headless run. ``LabServer`` starts
JupyterLab on 127.0.0.1 with no token, on a free port, with the settings ``make lab`` uses (no news
pop-up, no news feed, no update check: no network calls), and always stops it (and its kernels) on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from helpers import paths
from helpers.bundle.run import KERNEL_ENV, PROFILES

#: The settings defaults the bundle ships (news "Never", no update check: no pop-up asking to reach the
#: internet) and the server flags that stop the news feed and the update check. ``make lab`` passes the
#: same folder and flags (a test checks the Makefile), so the lab the tests see is the students' lab.
LAB_SETTINGS_DIR = paths.ROOT / "helpers" / "bundle" / "lab_settings"
QUIET_FLAGS = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]

#: Test-only user settings: record each cell's execution time in its metadata (to find slow cells).
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"recordTiming": True}}

#: Server-side configuration of the test server: no terminals, no PyPI extension manager.
SERVER_CONFIG = {
    # No token and no XSRF check: the server is bound to 127.0.0.1 and lives only for one test run.
    "ServerApp": {"open_browser": False, "terminals_enabled": False, "disable_check_xsrf": True},
    "LabApp": {"extension_manager": "readonly", "expose_app_in_browser": True},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_notebooks(dest: Path, names: Sequence[str] | None = None, profile: str = "quick") -> list[Path]:
    """Copy the lesson notebooks into ``dest/notebooks`` with ``profile``'s parameters injected.

    ``names`` are notebook stems such as ``"00_observe"`` (default: every lesson notebook). The
    sources are never modified. ``dest/data`` links to the bundle's ``data/`` so relative paths such
    as ``"../data/food-11"`` mean the same in the copy.
    """
    import papermill

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}.")
    sources = paths.lessons()
    if names is not None:
        by_stem = {p.stem: p for p in sources}
        missing = [n for n in names if n not in by_stem]
        if missing:
            raise FileNotFoundError(f"no notebook {missing} in {paths.NOTEBOOKS}; have {sorted(by_stem)}.")
        sources = [by_stem[n] for n in names]
    folder = Path(dest) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    if not (Path(dest) / "data").exists():
        (Path(dest) / "data").symlink_to(paths.DATA, target_is_directory=True)
    copies = []
    for source in sources:
        target = folder / source.name
        params = PROFILES[profile].get(source.stem, {})
        if params:
            papermill.execute_notebook(
                str(source), str(target), parameters=params, prepare_only=True, progress_bar=False, log_output=False
            )
        else:
            shutil.copyfile(source, target)
        copies.append(target)
    return copies


class LabServer:
    """JupyterLab serving ``root`` on ``http://127.0.0.1:<port>/``, token off; a context manager.

    The server runs in its own process group with its own config, settings and runtime folders
    under ``root/.lab`` (so a user's ``~/.jupyter`` cannot change what the test sees), with
    ``HF_HUB_OFFLINE=1``, the bundle on ``PYTHONPATH`` and the inline matplotlib backend for its kernels. Its log is
    ``root/.lab/server.log``.
    """

    def __init__(self, root: Path, port: int | None = None, startup_timeout: float = 120.0) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"{self.root} is not a folder; call prepare_notebooks() first.")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.startup_timeout = startup_timeout
        self.state = self.root / ".lab"
        self.log = self.state / "server.log"
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> dict[str, str]:
        config, settings = self.state / "config", self.state / "settings"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG, indent=1))
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        python_path = os.pathsep.join(p for p in (str(paths.ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_DATA_DIR": str(self.state / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.state / "runtime"),
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": python_path,
            **KERNEL_ENV,  # as `make lab` sets it: figures inline whatever MPLBACKEND the caller has
        }
        env.pop("JUPYTER_TOKEN", None)
        return env

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={self.state / 'settings'}",
            f"--LabApp.workspaces_dir={self.state / 'workspaces'}",
            f"--LabApp.app_settings_dir={LAB_SETTINGS_DIR}",
            *QUIET_FLAGS,
        ]

    def start(self) -> LabServer:
        """Start the server and wait until ``/api/status`` answers; raise with the log tail if it does not."""
        env = self._write_config()
        command = self.command()
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI containers run as root; the server is bound to loopback
        self.state.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                self.api("status")
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        code = self.process.poll()
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:]
        why = f"exited with code {code}" if code is not None else f"did not answer in {self.startup_timeout:.0f} s"
        raise RuntimeError(f"{type(self).__name__} on {self.url} {why}; its log ({self.log}) ends:\n{tail}")

    def api(self, endpoint: str, method: str = "GET") -> object:
        """Call the server's REST API (``/api/<endpoint>``) and return the decoded JSON (None if empty)."""
        request = urllib.request.Request(f"{self.url}api/{endpoint}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (the server stays up)."""
        for kernel in self.api("kernels") or []:
            try:
                self.api(f"kernels/{kernel['id']}", method="DELETE")
            except urllib.error.HTTPError:
                pass  # it went away meanwhile

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the kernels and the server; escalate to SIGKILL of its process group if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.shutdown_kernels()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not answering: the signals below still end it
        group = os.getpgid(self.process.pid)
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class ClassicNotebookServer(LabServer):
    """Classic Notebook (6.5, Colab's own front end's closest relative) of another environment's ``python``
    serving ``root``, token off, its kernels that environment's own (the bundle installed there, not the
    checkout on ``PYTHONPATH``); widgetsnbextension is enabled by its install, as in Colab."""

    def __init__(self, root: Path, python: Path, variables: dict[str, str], startup_timeout: float = 120.0) -> None:
        super().__init__(root, startup_timeout=startup_timeout)
        self.python, self.variables = Path(python), variables

    def _write_config(self) -> dict[str, str]:
        env = {**super()._write_config(), **self.variables}
        env.pop("PYTHONPATH", None)
        return env

    def command(self) -> list[str]:
        return [
            str(self.python),
            "-m",
            "notebook",
            "--no-browser",
            f"--port={self.port}",
            "--NotebookApp.port_retries=0",
            "--NotebookApp.ip=127.0.0.1",
            "--NotebookApp.token=",
            "--NotebookApp.password=",
            "--NotebookApp.disable_check_xsrf=True",
            f"--NotebookApp.notebook_dir={self.root}",
        ]
