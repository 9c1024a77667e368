"""Execute the book's notebooks into the shared jupyter-cache, in parallel.

MyST-NB executes a page when Sphinx reads it, one page at a time, and Sphinx
``-j`` with a fresh jupyter-cache database races on table creation.  Instead,
before Sphinx starts, this module reads every page as MyST-NB would, keeps one
notebook per distinct set of code cells (the en and zh twins hash alike), runs
the ones the cache lacks, ``workers`` at a time, and stores each result from
this one process as soon as it is ready.  Sphinx then finds every page in the
cache and starts no kernel.

A kernel is started only when a worker slot is free, so memory grows with the
workers, not the pages.  Kernels are forked warm where possible (see
``kernels.py``).  Every run ends in one :class:`Outcome` (``outcomes.py``),
which says why it failed, where.  By default the first failure
starts no new kernel (the running ones finish and are cached), so the
build fails within the time of one page; ``keep_going`` runs every page.  SIGINT and SIGTERM stop
every kernel and raise :class:`Interrupted`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d2l_book import settings
from d2l_book.console import say
from d2l_book.execution import exec_cache, kernels, sandbox
from d2l_book.execution.jobs import Job, read_jobs, with_outputs
from d2l_book.execution.outcomes import (
    Outcome,
    Status,
    display_path,
    judge,
)
from d2l_book.processes import Interrupted, stops_handled_by
from d2l_book.sphinxext import figure_text


async def _run_one(
    job: Job, timeout: int, threads: int, font: tuple[str, str]
) -> Outcome:
    """Start a kernel, execute the notebook, stop the kernel: one outcome.

    ``font`` (family, file) is the CJK font of the zh drawing of each figure
    (see ``figure_text.py``).
    """
    current: list[int] = []
    start = time.perf_counter()
    try:
        timeout, source = sandbox.page_timeout(job.nb, timeout, settings.CELL_TIMEOUT)
    except ValueError as error:
        return Outcome(job.page, Status.FAILED, detail=str(error))
    status, detail, folder = await _in_kernel(job, timeout, threads, font, current)
    index = current[-1] if current and status != Status.SUCCEEDED else None
    limit = f"{timeout} s per cell ({source})"
    return judge(job, status, detail, index, folder, limit, start)


async def _in_kernel(
    job: Job, timeout: int, threads: int, font: tuple[str, str], current: list[int]
) -> tuple[Status, str, str | None]:
    """Execute ``job`` in a new kernel: (status, detail, the kernel's folder).

    ``current`` gets the index of each cell as it starts.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    if kernels.use_fork():
        km: Any = kernels.ForkedKernelManager(kernel_name="python3")
        stopper: Any = km
    else:
        stopper = kernels.LaunchedKernel(threads)
        km = stopper.km
    client = NotebookClient(
        job.nb,
        km=km,
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        on_cell_start=lambda cell, cell_index: current.append(cell_index),
    )
    status, detail = Status.SUCCEEDED, ""
    folder: str | None = None  # the kernel's working folder (gone once it stops)
    table = job.nb.metadata.get(figure_text.TABLE_KEY, {})
    try:
        await (stopper.start() if stopper is not km else _forked(km, threads))
        folder = stopper.folder
        await _execute_cells(client, figure_text.setup_code(table, *font))
    except CellTimeoutError as error:
        status, detail = Status.TIMEOUT, str(error)
    except CellExecutionError as error:
        status, detail = Status.FAILED, str(error)
    except Exception as error:  # nbclient's DeadKernelError, zmq errors, ...
        status, detail = Status.FAILED, f"{type(error).__name__}: {error}"
        if not await km.is_alive():
            status = Status.DIED
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        await stopper.terminate()
    if status == Status.DIED:
        detail = kernels.kernel_exit(stopper)
    return status, detail, folder


async def _execute_cells(client: Any, setup: str = "") -> None:
    """What ``NotebookClient.async_execute`` does, minus its process-wide parts.

    ``async_execute`` registers an ``atexit`` cleanup and installs (then
    removes, restoring the defaults) SIGINT and SIGTERM handlers on the event
    loop for each notebook: with several notebooks at once, they would replace
    the build's own handlers.  So this drives the same public steps itself.
    ``setup`` is code the kernel runs silently first (no output, no count).
    """
    from jupyter_core.utils import ensure_async

    client.kc = client.km.client()
    await ensure_async(client.kc.start_channels())
    await ensure_async(client.kc.wait_for_ready(timeout=client.startup_timeout))
    client.kc.allow_stdin = False
    info = await client.async_wait_for_reply(
        await ensure_async(client.kc.kernel_info())
    )
    if info is not None and "language_info" in info["content"]:
        client.nb.metadata["language_info"] = info["content"]["language_info"]
    if setup:
        await _set_up(client, setup)
    for index, cell in enumerate(client.nb.cells):
        await client.async_execute_cell(
            cell, index, execution_count=client.code_cells_executed + 1
        )
        merge_adjacent_streams(cell)


async def _set_up(client: Any, code: str) -> None:
    """Run ``code`` silently in the kernel; raise if it fails."""
    from jupyter_core.utils import ensure_async

    request = await ensure_async(
        client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    )
    reply = await client.async_wait_for_reply(request)
    content = reply["content"] if reply is not None else {}
    if content.get("status") != "ok":
        trace = "\n".join(content.get("traceback", [])) or "no reply"
        raise RuntimeError(f"the kernel's set-up failed:\n{trace}")


def merge_adjacent_streams(cell: Any) -> None:
    """Join consecutive stream outputs of the same name (stdout, stderr).

    A print can reach the kernel's stream in one flush or two, and so become
    one output or two: merged, twin pages and two builds show the same text.
    nbclient's ``coalesce_streams`` does this too, but then runs a regex over
    each stream that takes quadratic time on a long line (minutes for 2 MB).
    """
    merged: list[Any] = []
    for output in cell.get("outputs", []):
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    if "outputs" in cell:
        cell["outputs"] = merged


async def _forked(km: Any, threads: int) -> None:
    km.fork(threads)


@dataclass
class Run:
    """The state of one execution run, shared by its tasks."""

    cache: Any
    index: exec_cache.PageIndex
    keep_going: bool
    outcomes: list[Outcome]
    tasks: list[asyncio.Task[None]]
    stopped: bool = False

    def finish(self, job: Job, outcome: Outcome) -> None:
        """Cache a success at once; report a failure at once."""
        self.outcomes.append(outcome)
        if outcome.status != Status.SUCCEEDED:
            say(f"\nERROR: executing {outcome.describe()}", problem=True)
            # No new kernel starts; the running ones finish and are cached.
            self.stopped = not self.keep_going
            return
        table = job.nb.metadata.get(figure_text.TABLE_KEY, {})
        data = {
            "execution_seconds": outcome.seconds,
            figure_text.TABLE_KEY: figure_text.table_digest(table),
        }
        hashkey = exec_cache.store(self.cache, job.nb, str(job.page), data)
        self.index.add_code(job.code, hashkey)
        for twin in job.twins:
            if twin.digest != job.digest:
                executed = with_outputs(twin.nb, job.nb)
                twin.digest = exec_cache.store(
                    self.cache, executed, str(twin.page), data
                )
            self.index.add(twin.text, twin.digest)
        say(f"executed {display_path(job.page)} in {outcome.seconds:.1f} s")


def kernel_threads(workers: int) -> int:
    """Threads per kernel: cores / workers, or ``D2L_KERNEL_THREADS`` (bench)."""
    return settings.kernel_threads() or max(1, (os.cpu_count() or 1) // workers)


async def _execute_all(
    run: Run, jobs: list[Job], workers: int, timeout: int, font: tuple[str, str]
) -> int:
    """Run the jobs, ``workers`` at a time; 0, or the signal that stopped them."""
    slots = asyncio.Semaphore(workers)
    threads = kernel_threads(workers)
    loop = asyncio.get_running_loop()
    got: list[int] = []

    async def one(job: Job) -> None:
        async with slots:  # the kernel starts only when a slot is free
            if not run.stopped:
                outcome = await _run_one(job, timeout, threads, font)
                # A kernel stopped by SIGINT or SIGTERM can end in nbclient's
                # DeadKernelError: the signal, not the page, is to blame.
                if not got:
                    run.finish(job, outcome)

    def cancel_all() -> None:
        for task in run.tasks:
            task.cancel()

    def on_signal(signum: int, frame: Any) -> None:
        """The signal is noted at once, in the main thread; the tasks are
        cancelled by the loop (as ``asyncio.Runner`` handles SIGINT).  With
        ``loop.add_signal_handler`` a signal that came as the last page ended
        was lost: the loop that would have read it had stopped."""
        if not got:
            got.append(signum)
            loop.call_soon_threadsafe(cancel_all)

    run.tasks.extend(asyncio.create_task(one(job)) for job in jobs)
    with stops_handled_by(on_signal):
        await asyncio.wait(run.tasks)  # a task's kernel is stopped even if cancelled
    return got[0] if got else 0


def _prepare_kernels() -> None:
    """Check the limits' settings and give the kernels their folders.

    Before anything imports Matplotlib (see ``sandbox.prepare``), even when
    no page runs: a live preview forks its later kernels from this process.
    """
    settings.kernel_memory()  # a bad value fails here, not in every kernel
    settings.cell_timeout()
    sandbox.prepare(str(settings.KERNEL_MATPLOTLIB), str(settings.OLD_KERNEL_HOME))


def _say_uncached(jobs: list[Job]) -> None:
    """Name the pages that would have to execute (``cached_only``)."""
    pages = sorted(display_path(twin.page) for job in jobs for twin in job.twins)
    say(
        f"ERROR: {len(pages)} page(s) are not in the execution cache "
        f"{display_path(settings.execution_cache())} and would have to execute "
        "(--cached-only): " + ", ".join(pages),
        problem=True,
    )


def execute_missing(
    pages: list[Path], workers: int, keep_going: bool = False, cached_only: bool = False
) -> bool:
    """Execute the pages whose outputs the cache lacks; False if one fails.

    ``cached_only`` (the merge job of sharded execution, ``build
    --cached-only``) starts no kernel: if a page would have to execute, it
    names every such page and returns False.  Raises :class:`Interrupted` (after stopping every kernel) on SIGINT or
    SIGTERM.  Every notebook that succeeded is cached, whatever happens next.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    settings.set_kernel_environment()
    cache_path = settings.execution_cache()
    cache, sound = exec_cache.open_cache(cache_path)
    index = exec_cache.PageIndex(cache_path, sound)
    run = Run(cache, index, keep_going, [], [])
    _prepare_kernels()
    try:
        jobs = read_jobs(pages, cache, index)
        if not jobs:
            return True
        if cached_only:
            _say_uncached(jobs)
            return False
        start = time.perf_counter()
        say(f"executing {len(jobs)} notebook(s), {workers} at a time")
        if not sandbox.abi():
            sandbox.say_unconfined()
        if kernels.use_fork():
            code = "\n".join(c.source for j in jobs for c in j.nb.cells)
            kernels.preload(code)
        font = figure_text.cjk_font()  # forked kernels inherit it
        timeout = settings.cell_timeout()
        got = asyncio.run(_execute_all(run, jobs, workers, timeout, font))
    except (figure_text.FigureTextError, figure_text.MissingFontError) as error:
        say(f"ERROR: {error}", problem=True)
        return False
    finally:
        index.save()
    if got:
        raise Interrupted(got)
    return _report(run, len(jobs), time.perf_counter() - start)


def _report(run: Run, planned: int, seconds: float) -> bool:
    """Say how the run ended, by status, and which pages failed; True if none."""
    failed = [o for o in run.outcomes if o.status != Status.SUCCEEDED]
    skipped = planned - len(run.outcomes)
    counts = Counter(o.status for o in run.outcomes)
    if skipped:
        counts[Status.NOT_STARTED] = skipped
    summary = ", ".join(
        f"{n} {status.value}"
        for status, n in sorted(counts.items(), key=lambda item: item[0].value)
    )
    say(f"execution: {seconds:.1f} s ({summary})")
    if failed:
        say(
            f"{len(failed)} notebook(s) failed"
            + (
                f", {skipped} not executed (stopped at the first failure)"
                if skipped
                else ""
            )
            + ": "
            + ", ".join(display_path(o.page) for o in failed),
            problem=True,
        )
    return not failed
