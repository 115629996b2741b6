"""``--execute``: run a copy of each notebook (papermill), contained, and report whether it runs.

Student code is untrusted. Each notebook runs in a fresh scratch folder (a copy; the original is only
read) with resource limits on the whole process tree: CPU seconds, memory (address space), size of any
file written, number of processes. Where bubblewrap (``bwrap``, Debian package ``bubblewrap``) is
installed and works, it also runs in a sandbox: no network, every file outside the scratch folder
read-only, its own process namespace, killed with the grader. Without bubblewrap the limits still hold,
but the code can read and write what you can and reach the network; :attr:`Sandbox.protection` says
which is in force, and the grader prints it.
"""

from __future__ import annotations

import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from helpers import paths
from helpers.instructor.grading.untrusted import open_regular

#: The sandbox every run starts from (the probe too): the whole file system read-only, fresh /dev and
#: /proc, no network, its own process namespace, gone with the grader.
BWRAP_BASE = (
    "bwrap",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--unshare-net",
    "--unshare-pid",
    "--die-with-parent",
)


@dataclass(frozen=True)
class Sandbox:
    """How to run one notebook: seconds, limits, kernel; ``run(path)`` -> "" or what went wrong."""

    timeout: float = 600.0
    kernel: str = "python3"
    memory_mb: int = 8192
    file_mb: int = 512
    processes: int = 256

    @cached_property
    def no_sandbox(self) -> str:
        """Why bubblewrap is not used ("" when it works here and is used)."""
        return bwrap_problem()

    @property
    def protection(self) -> str:
        """One line: what protects the machine from the student code."""
        limits = (
            f"scratch copy per notebook; limits: {self.timeout:g} s CPU, {self.memory_mb} MB memory, "
            f"{self.file_mb} MB per file, {self.processes} more processes"
            + (" (not enforced for root)" if os.getuid() == 0 else "")
        )
        if not self.no_sandbox:
            return f"{limits}; bubblewrap sandbox: no network, read-only outside the scratch copy."
        return (
            f"{limits}; NO sandbox ({self.no_sandbox}): student code can read and write your files and reach "
            "the network. Install bubblewrap (apt-get install bubblewrap) to contain it."
        )

    def _limits(self) -> None:
        """Runs in the child before papermill starts (inherited by the kernel and anything it starts)."""
        os.setsid()
        cpu = max(1, math.ceil(self.timeout))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        memory = self.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        size = self.file_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        running = _processes_of_user()
        resource.setrlimit(resource.RLIMIT_NPROC, (running + self.processes, running + self.processes))
        if sys.platform.startswith("linux"):
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the grader

    def command(self, scratch: Path, notebook: Path) -> list[str]:
        """The papermill command line, inside bubblewrap when it works."""
        timeout = str(max(1, math.ceil(self.timeout)))
        inner = [
            sys.executable,
            "-m",
            "papermill",
            str(notebook),
            str(scratch / "executed.ipynb"),
            "--cwd",
            str(scratch),
            "-k",
            self.kernel,
            "--no-progress-bar",
            "--no-log-output",
            "--execution-timeout",
            timeout,
        ]
        if self.no_sandbox:
            return inner
        return [
            *BWRAP_BASE,
            "--tmpfs",
            "/tmp",
            *_visible_under_tmp(),
            "--bind",
            str(scratch),
            str(scratch),
            "--unshare-ipc",
            "--new-session",
            "--chdir",
            str(scratch),
            "--",
            *inner,
        ]

    def run(self, path: Path, root: Path | None = None) -> str:
        """Run a scratch copy of the notebook at ``path``; return "" when it runs, else what went wrong."""
        label = path.relative_to(root).as_posix() if root else path.name
        with tempfile.TemporaryDirectory(prefix="hw9-execute-") as scratch:
            work = Path(scratch)
            copy = work / "submission.ipynb"
            try:
                with open_regular(path) as source:  # as the grader read it: not a link, not a FIFO
                    copy.write_bytes(source.read())
            except OSError as err:  # replaced since it was read
                return f"{label}: cannot copy it to run ({err.strerror or err})."
            env = dict(
                os.environ,
                MPLBACKEND="Agg",
                HOME=scratch,
                IPYTHONDIR=str(work / ".ipython"),
                JUPYTER_RUNTIME_DIR=str(work / ".runtime"),
                MPLCONFIGDIR=str(work / ".matplotlib"),
                PYTHONPATH=os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")])),
            )
            process = subprocess.Popen(
                self.command(work, copy),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=scratch,
                preexec_fn=self._limits,
            )
            try:
                _, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                return f"{label}: did not finish within {self.timeout:g} s."
            finally:
                _kill_group(process)  # the kernel too, should papermill leave it behind
        if process.returncode == 0:
            return ""
        return f"{label}: failed to run: {_reason(stderr, process.returncode)[:300]}"


def _reason(stderr: str, code: int) -> str:
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", stderr).splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception|Interrupt)\b", line)]
    return (errors or lines or [f"papermill exit code {code}"])[-1]


def _processes_of_user() -> int:
    """How many processes this user runs now (RLIMIT_NPROC counts them all, so the limit adds to it)."""
    uid = os.getuid()
    try:
        return sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == uid)
    except OSError:
        return 0


def _owner(proc: Path) -> int:
    try:
        return proc.stat().st_uid
    except OSError:
        return -1


def _visible_under_tmp() -> list[str]:
    """``--ro-bind`` arguments for what the kernel needs that lies under /tmp, which the sandbox hides
    behind an empty tmpfs: the Python environment and the bundle (e.g. a clone made in /tmp)."""
    needed = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), paths.ROOT.resolve()}
    tmp = Path("/tmp").resolve()
    under = sorted(p for p in needed if tmp in p.parents)
    return [arg for p in under for arg in ("--ro-bind", str(p), str(p))]


def bwrap_problem() -> str:
    """ "" when ``bwrap`` is installed and can build a sandbox here; else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed"
    probe = [*BWRAP_BASE, "--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap does not start: {err}"
    if done.returncode != 0:
        return f"bubblewrap cannot build a sandbox here: {done.stderr.strip()[:200] or done.returncode}"
    return ""


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def execute_notebook(path: Path, timeout: float, kernel: str = "python3", root: Path | None = None) -> str:
    """Run a scratch copy of one notebook in a :class:`Sandbox`; "" when it runs, else what went wrong."""
    return Sandbox(timeout=timeout, kernel=kernel).run(path, root)
