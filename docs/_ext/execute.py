"""Execute the book's notebooks into the shared jupyter-cache, in parallel.

MyST-NB executes a page when Sphinx reads it, one page at a time, and Sphinx
``-j`` with a fresh jupyter-cache database races on table creation.  Instead,
before Sphinx starts, this module reads every page as MyST-NB would, keeps one
notebook per distinct set of code cells (the en and zh twins hash alike), runs
the ones the cache lacks, ``workers`` at a time, and stores the results from
this one process.  Sphinx then finds every page in the cache and starts no
kernel.

Most of a small notebook's run is its kernel importing Python, IPython,
PyTorch and Matplotlib.  So this process imports them once and *forks* one
IPython kernel per notebook: each kernel starts warm, in its own empty
temporary folder, and talks to nbclient over IPC sockets like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]
# What every page's kernel imports anyway; loaded once, before forking.
PRELOAD = ("numpy", "torch", "matplotlib.pyplot", "ipykernel.kernelapp", "d2l_prep")


def _settings() -> Any:
    """The shared Sphinx configuration (also sets the kernels' environment)."""
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
    import conf  # noqa: PLC0415

    return conf


def _preload() -> None:
    # A fresh kernel selects Matplotlib's inline backend through this variable
    # before anything imports Matplotlib; the forked kernels must inherit it.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import importlib  # noqa: PLC0415

    for name in PRELOAD:
        importlib.import_module(name)


def _run_kernel(connection_file: str, cwd: str, parent: int) -> None:
    """In the forked child: become an IPython kernel, then exit.

    Naming the parent makes the kernel exit if this build dies (and keeps it
    from printing how to connect to it).
    """
    status = 1
    try:
        os.chdir(cwd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from ipykernel.kernelapp import IPKernelApp  # noqa: PLC0415

        app = IPKernelApp.instance()
        app.initialize(["-f", connection_file, f"--IPKernelApp.parent_handle={parent}"])
        app.start()
        status = 0
    finally:
        # Skip the parent's atexit handlers and buffered output.
        os._exit(status)


def _forked_kernel_manager() -> Any:
    from jupyter_client.connect import write_connection_file  # noqa: PLC0415
    from jupyter_client.manager import AsyncKernelManager  # noqa: PLC0415
    from jupyter_core.paths import jupyter_runtime_dir  # noqa: PLC0415

    class ForkedKernelManager(AsyncKernelManager):  # type: ignore[misc]
        """Manage a kernel forked from this process rather than launched."""

        pid: int | None = None
        folder: tempfile.TemporaryDirectory[str] | None = None

        def fork(self) -> None:
            runtime = jupyter_runtime_dir()
            os.makedirs(runtime, exist_ok=True)
            stem = os.path.join(runtime, f"kernel-{uuid.uuid4().hex}")
            self.connection_file, _ = write_connection_file(
                f"{stem}.json", ip=f"{stem}-ipc", transport="ipc"
            )
            self.load_connection_file()
            self.folder = tempfile.TemporaryDirectory(prefix="d2l-prep-exec-")
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                _run_kernel(self.connection_file, self.folder.name, parent)
            self.pid = pid

        @property
        def has_kernel(self) -> bool:
            return self.pid is not None

        async def _async_is_alive(self) -> bool:
            return self.pid is not None and os.waitpid(self.pid, os.WNOHANG) == (0, 0)

        is_alive = _async_is_alive

        async def _async_interrupt_kernel(self) -> None:
            if self.pid is not None:
                os.kill(self.pid, signal.SIGINT)

        interrupt_kernel = _async_interrupt_kernel

        def stop(self) -> None:
            if self.pid is not None:
                try:
                    os.kill(self.pid, signal.SIGTERM)
                    os.waitpid(self.pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
                self.pid = None
            self.cleanup_connection_file()
            self.cleanup_ipc_files()
            if self.folder is not None:
                self.folder.cleanup()

    return ForkedKernelManager


async def _execute_all(
    jobs: list[tuple[Path, Any, Any]], workers: int, timeout: int
) -> list[tuple[Path, Any, float, str | None]]:
    from nbclient import NotebookClient  # noqa: PLC0415
    from nbclient.exceptions import CellExecutionError, CellTimeoutError  # noqa: PLC0415

    slots = asyncio.Semaphore(workers)

    async def run(page: Path, nb: Any, km: Any) -> tuple[Path, Any, float, str | None]:
        async with slots:
            start = time.perf_counter()
            client = NotebookClient(
                nb, km=km, timeout=timeout, allow_errors=False, record_timing=False
            )
            error = None
            try:
                await client.async_execute()
            except (CellExecutionError, CellTimeoutError) as err:
                error = str(err)
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()
                km.stop()
            return page, nb, time.perf_counter() - start, error

    return await asyncio.gather(*(run(page, nb, km) for page, nb, km in jobs))


def _manifest(cache_path: str) -> Path:
    """Pages (by the hash of their text) known to be in this execution cache."""
    return Path(cache_path) / "d2l-prep-pages.txt"


def _page_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@contextlib.contextmanager
def _unvalidated_cells() -> Iterator[None]:
    """Skip nbformat's schema check of each new cell while reading pages.

    The reader validates every cell it creates, which is most of the time it
    takes; the notebooks are the same either way (tests validate them).
    """
    import nbformat.v4.nbbase as nbbase  # noqa: PLC0415

    validate = nbbase.validate
    nbbase.validate = lambda node, ref=None: None
    try:
        yield
    finally:
        nbbase.validate = validate


def execute_missing(pages: list[Path], workers: int) -> bool:
    """Execute the pages missing from the cache; False if one of them fails."""
    conf = _settings()
    manifest = _manifest(conf.nb_execution_cache_path)
    known = set(manifest.read_text().split()) if manifest.exists() else set()
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    unknown = [page for page in pages if _page_hash(texts[page]) not in known]
    if not unknown:
        return True  # every page's outputs are cached: nothing to read or run

    import notebooks  # noqa: PLC0415 (docs/_ext, on sys.path once conf is loaded)
    from jupyter_cache import get_cache  # noqa: PLC0415
    from jupyter_cache.base import CacheBundleIn  # noqa: PLC0415

    cache = get_cache(conf.nb_execution_cache_path)
    cache.list_cache_records()  # creates the database tables in this process only
    todo: dict[str, tuple[Path, Any]] = {}
    extensions = set(conf.myst_enable_extensions)
    with _unvalidated_cells():
        read = {
            page: notebooks.read_page(page, texts[page], extensions) for page in unknown
        }
    digests = {}
    for page, nb in read.items():
        notebooks.store(conf.BUILD, texts[page], lambda nb=nb: nb)
        # Pages without code go through too: MyST-NB would otherwise start a
        # kernel for them, in both Sphinx processes at once.
        _, digest = digests[page] = cache.create_hashed_notebook(nb)
        if digest in todo:
            continue
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo[digest] = (page, nb)
    # A notebook without code needs no kernel: it is its own executed copy.
    for digest, (page, nb) in list(todo.items()):
        if not any(cell.cell_type == "code" for cell in nb.cells):
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(page)), check_validity=False, overwrite=True
            )
            del todo[digest]
    if not todo:
        _remember(manifest, known, texts, list(read))
        return True

    start = time.perf_counter()
    print(f"executing {len(todo)} notebook(s), {workers} at a time", flush=True)
    _preload()
    manager = _forked_kernel_manager()
    jobs = []
    # Longest first (by code size), so that no long page starts last.
    by_size = sorted(
        todo.values(),
        key=lambda job: (
            -sum(len(c.source) for c in job[1].cells if c.cell_type == "code")
        ),
    )
    for page, nb in by_size:
        km = manager(kernel_name="python3")
        km.fork()
        jobs.append((page, nb, km))
    results = asyncio.run(_execute_all(jobs, workers, conf.nb_execution_timeout))
    ok = True
    for page, nb, seconds, error in results:
        name = os.path.relpath(page, DOCS)
        if error is not None:
            ok = False
            print(f"\nERROR: executing docs/{name} failed:\n{error}", file=sys.stderr)
            continue
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(page), data={"execution_seconds": seconds}),
            check_validity=False,
            overwrite=True,
        )
        print(f"executed docs/{name} in {seconds:.1f} s", flush=True)
    print(f"execution: {time.perf_counter() - start:.1f} s", flush=True)
    failed = {page for page, _, _, error in results if error is not None}
    _remember(
        manifest, known, texts, {p: nb for p, nb in read.items() if p not in failed}
    )
    return ok


def _remember(
    manifest: Path, known: set[str], texts: dict[Path, str], cached: list[Path]
) -> None:
    """Add the pages whose outputs are now cached to the manifest."""
    hashes = known | {_page_hash(texts[page]) for page in cached}
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("\n".join(sorted(hashes)) + "\n")
