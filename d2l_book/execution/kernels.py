"""Start and stop the IPython kernels that execute the book's notebooks.

Two ways to get a kernel, the same way to talk to it (nbclient over zmq):

- **forked** (Linux, the default): this process has imported Python, IPython,
  PyTorch and Matplotlib once; each kernel is a ``fork`` of it, so it starts
  warm.  jupyter_client cannot manage such a kernel (it only launches
  programs), so :class:`ForkedKernelManager` does: the kernel runs in its own
  process group, and stopping it is SIGTERM to the group, a timed wait, then
  SIGKILL to the group, so subprocesses a cell started die with it;
- **launched** (elsewhere, where ``fork`` is missing or unsafe, or when
  ``D2L_EXECUTOR=launch``): jupyter_client's own ``AsyncKernelManager``
  starts ``python -m ipykernel`` in a new session.

Every kernel gets a random HMAC key, a connection file and IPC sockets in a
private temporary folder, all removed when it stops (even if it never ran),
and a limited number of threads.

Both paths are kept: forking is the fast one, launching the portable one,
and each is the default somewhere (the measured cost of each, and why plain
MyST-NB is not the portable path: ``d2l_book/README.md``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from d2l_book import processes, settings
from d2l_book.execution import sandbox

# Environment variables that cap the thread pools of the numeric libraries.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def use_fork() -> bool:
    """True where kernels are forked: Linux, unless ``D2L_EXECUTOR=launch``."""
    if settings.executor() == "launch":
        return False
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def _private_folder() -> str:
    """A new folder only this user can enter, for one kernel's connection.

    It holds the connection file and the IPC sockets, and is removed with
    them.  A socket's path must stay under ~100 bytes, so a deep temporary
    folder (``TMPDIR``) gives way to ``/tmp``.
    """
    folder = tempfile.mkdtemp(prefix=owned("d2l-kernel-"))
    if len(folder) > 80 and os.path.isdir("/tmp"):
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix=owned("d2l-kernel-"), dir="/tmp")
    return folder


# The temporary folders of a kernel (connection, sockets) and of its
# execution (its working directory): ``<prefix><pid>-<random>``, where pid is
# the build process that made them (see sweep_stale_folders).
FOLDER_PREFIXES = ("d2l-kernel-", "d2l-prep-exec-")
_OWNED = re.compile(rf"^(?:{'|'.join(FOLDER_PREFIXES)})(\d+)-[^-]+$")


def owned(prefix: str) -> str:
    """``prefix`` with this process's id, so a stale folder names its owner."""
    return f"{prefix}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def sweep_stale_folders(folders: list[str] | None = None) -> list[Path]:
    """Remove kernel and execution folders whose owning build is dead; those removed.

    A build killed by SIGKILL (e.g. a preview rebuild) cannot remove its
    kernels' temporary folders.  Each folder names the process that made it
    (:func:`owned`); one of this user's, whose process no longer exists, is
    removed by the next build.  A folder whose process is alive (another
    build, this one), one of another user, or one without a process id (made
    by an older version) is left alone.  A reused process id only keeps a
    stale folder longer.  ``folders``: where to look (default: the temporary
    folder and ``/tmp``, where :func:`_private_folder` may fall back).
    """
    places = folders if folders is not None else [tempfile.gettempdir(), "/tmp"]
    removed = []
    for place in dict.fromkeys(os.path.realpath(p) for p in places):
        try:
            entries = list(os.scandir(place))
        except OSError:
            continue
        for entry in entries:
            match = _OWNED.match(entry.name)
            if not match or int(match[1]) == os.getpid() or _alive(int(match[1])):
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                owner = entry.stat(follow_symlinks=False).st_uid
                if hasattr(os, "getuid") and owner != os.getuid():
                    continue
            except OSError:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def describe_status(code: int, exited: bool) -> str:
    """'exited with status 1' or 'killed by signal SIGSEGV'."""
    if exited:
        return f"exited with status {code}"
    try:
        return f"killed by signal {signal.Signals(code).name}"
    except ValueError:
        return f"killed by signal {code}"


def _run_kernel(connection_file: str, cwd: str, parent: int, threads: int) -> None:
    """In the forked child: become an IPython kernel, then exit.

    The child leaves the parent's event loop, signal wake-up socket and signal
    handlers behind first.  Naming the parent makes the kernel exit if the
    build dies (and keeps it from printing how to connect to it).
    """
    status = 1
    try:
        # SIGINT interrupts the running cell (KeyboardInterrupt), as in Jupyter.
        processes.enter_child(None, interrupt=signal.default_int_handler)
        os.chdir(cwd)
        # Before IPython starts a thread: confined, with a memory limit.
        sandbox.enter_kernel(cwd, os.path.dirname(connection_file))
        limit_threads(threads)
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        handle = f"--IPKernelApp.parent_handle={parent}"
        app.initialize(["-f", connection_file, handle])  # type: ignore[no-untyped-call]
        app.start()  # type: ignore[no-untyped-call]
        status = 0
    finally:
        # Skip the parent's atexit handlers and buffered output.
        os._exit(status)


def limit_threads(threads: int) -> None:
    """Cap this process's numeric libraries at ``threads`` threads."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class ForkedKernelManager(AsyncKernelManager):
    """Manage a kernel forked from this process rather than launched."""

    pid: int | None = None
    exit_description: str = ""
    folder: str | None = None
    private: str | None = None

    def fork(self, threads: int) -> None:
        """Write the connection file, then fork the kernel into its own group."""
        self.private = _private_folder()
        self.transport = "ipc"
        self.connection_file = os.path.join(self.private, "kernel.json")
        self.ip = os.path.join(self.private, "ipc")
        # The manager's own writer: the session's random HMAC key.
        self.write_connection_file()
        self.folder = tempfile.mkdtemp(prefix=owned("d2l-prep-exec-"))
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            _run_kernel(self.connection_file, self.folder, parent, threads)
        try:
            os.setpgid(pid, pid)  # also here: no race with a kill of the group
        except OSError:
            pass  # the child did it first, or has already exited
        self.pid = pid

    @property
    def has_kernel(self) -> bool:
        return self.pid is not None

    def _exited(self) -> bool:
        """True once the kernel has exited (it stays a zombie until reaped)."""
        if self.pid is None:
            return True
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None:
            return False
        exited = info.si_code == os.CLD_EXITED
        self.exit_description = describe_status(info.si_status, exited)
        return True

    async def _async_is_alive(self) -> bool:
        return not self._exited()

    is_alive = _async_is_alive

    async def _async_interrupt_kernel(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGINT)

    interrupt_kernel = _async_interrupt_kernel

    def _signal_group(self, signum: int) -> None:
        # The kernel is not reaped yet, so its group id cannot have been reused.
        assert self.pid is not None
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:
            pass

    async def terminate(self) -> None:
        """SIGTERM to the kernel's group, a timed wait, SIGKILL, then clean up.

        The event loop never blocks: the wait polls.  If this task is
        cancelled meanwhile, the group is killed at once.
        """
        try:
            if self.pid is not None:
                await processes.stop_gracefully_async(self._signal_group, self._exited)
        finally:
            self.kill_now()

    def kill_now(self) -> None:
        """SIGKILL the kernel's group, reap it and remove its files."""
        if self.pid is not None:
            self._signal_group(signal.SIGKILL)
            try:
                os.waitpid(self.pid, 0)  # immediate: the kernel got SIGKILL
            except ChildProcessError:
                pass
            self.pid = None
        for folder in (self.folder, self.private):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        self.folder = self.private = None


class LaunchedKernel:
    """A kernel launched by jupyter_client (the portable path)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.folder = tempfile.mkdtemp(prefix=owned("d2l-prep-exec-"))
        self.private = _private_folder()
        self.km = AsyncKernelManager(kernel_name="python3")
        self.km.connection_file = os.path.join(self.private, "kernel.json")
        if os.name == "posix":
            self.km.transport = "ipc"
            self.km.ip = os.path.join(self.private, "ipc")
        sandbox.confine_launched(self.km, self.folder, self.private)
        self.exit_description = ""

    async def start(self) -> None:
        env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(self.threads))}
        await self.km.start_kernel(env=env, cwd=self.folder)

    async def terminate(self) -> None:
        """Stop the kernel (jupyter_client kills its process group) and clean up."""
        try:
            if self.km.has_kernel:
                process = getattr(self.km.provisioner, "process", None)
                code = process.poll() if process is not None else None
                if code is not None:
                    self.exit_description = describe_status(abs(code), code >= 0)
                await self.km.shutdown_kernel(now=True)
        finally:
            await self.km.cleanup_resources()  # async in AsyncKernelManager
            for folder in (self.folder, self.private):
                shutil.rmtree(folder, ignore_errors=True)


PRELOAD = ("numpy", "torch", "matplotlib.pyplot", "ipykernel.kernelapp")


def preload(code: str | None = None) -> None:
    """Import, once, what every page's kernel imports anyway (before forking).

    Given the pages' ``code``, a library none of it names (nor ``d2l_prep``,
    which imports them all) is left out: a small book (the tests') without
    PyTorch forks its kernels without importing it.
    """
    # A fresh kernel selects Matplotlib's inline backend through this variable
    # before anything imports Matplotlib; the forked kernels must inherit it.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import importlib

    words = None if code is None else set(re.findall(r"\w+", code))
    for name in PRELOAD:
        top = name.split(".")[0]
        if words is None or top == "ipykernel" or {top, "d2l_prep"} & words:
            importlib.import_module(name)
    if words is None or "d2l_prep" in words:
        try:
            importlib.import_module("d2l_prep")
        except ImportError:
            pass  # a book without the package (e.g. a test's small book)


def kernel_exit(km: Any) -> str:
    """How a stopped or dead kernel ended, if known."""
    if isinstance(km, ForkedKernelManager):
        km._exited()
    return str(getattr(km, "exit_description", ""))
