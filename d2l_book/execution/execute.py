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
``kernels.py``).  Every run ends in one :class:`Outcome`, like jupyter-cache's
``ExecutorRunResult`` but with the reason: succeeded, a failed cell (page,
cell, line in the ``.md`` file, traceback), a dead kernel (exit status or
signal), a timeout, or an output too large.  By default the first failure
starts no new kernel (the running ones finish and are cached), so the
build fails within the time of one page; ``keep_going`` runs every page.  SIGINT and SIGTERM stop
every kernel and raise :class:`Interrupted`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d2l_book import settings
from d2l_book.cells import parse_code_cells
from d2l_book.execution import exec_cache, kernels, sandbox
from d2l_book.settings import DOCS
from d2l_book.sphinxext import figure_text

# A cell output larger than this fails its page: such an output (a tensor
# printed in full, a huge figure) makes the page and the search index
# megabytes heavy, and is nearly always a mistake; warnings fail the build
# anyway (sphinx -W), so a warning would fail it too, later and less clearly.
OUTPUT_LIMIT = 1_000_000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_IPYTHON_CELL = re.compile(r"Cell In\[\d+\], line (\d+)")

SUCCEEDED, FAILED, DIED, TIMEOUT, TOO_LARGE, FIGURE_TEXT = (
    "succeeded",
    "failed",
    "kernel died",
    "timed out",
    "output too large",
    "figure text does not match its figures",
)


class Interrupted(Exception):
    """The build got SIGINT or SIGTERM; every kernel has been stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class Twin:
    """A page whose notebook has the same code as its job's (e.g. its twin)."""

    page: Path
    text: str
    nb: Any
    digest: str  # jupyter-cache's hash of its notebook, cell metadata included


@dataclass
class Job:
    """One notebook to execute, for every page with the same code."""

    page: Path
    text: str
    nb: Any
    digest: str
    code: str  # the hash of its code alone (see code_key)
    twins: list[Twin]


@dataclass
class Outcome:
    """How one notebook's execution ended."""

    page: Path
    status: str
    seconds: float = 0.0
    cell: int | None = None  # 1-based number among the page's code cells
    line: int | None = None  # line of that cell's fence in the page
    detail: str = ""

    def describe(self) -> str:
        where = _display(self.page)
        if self.line is not None:
            where += f":{self.line} (code cell {self.cell})"
        if self.status == DIED:
            return f"{where}: the kernel died ({self.detail or 'no status'})"
        if self.status == TIMEOUT:
            return f"{where}: the cell timed out\n{self.detail}"
        return f"{where}: {self.status}\n{self.detail}"


def _display(page: Path) -> str:
    try:
        return f"docs/{page.relative_to(DOCS).as_posix()}"
    except ValueError:
        return str(page)


def _locate(job: Job, nb_index: int | None) -> tuple[int | None, int | None, int]:
    """(code cell number, fence line, line of the cell's first code line)."""
    if nb_index is None:
        return None, None, 0
    number = sum(1 for c in job.nb.cells[: nb_index + 1] if c.cell_type == "code")
    cells = parse_code_cells(job.text, str(job.page))
    if not 0 < number <= len(cells):
        return number or None, None, 0
    cell = cells[number - 1]
    lines = job.text.splitlines()
    body = cell.source.splitlines()[:1]
    first = cell.line + 1
    while body and first <= len(lines) and lines[first - 1 : first] != body:
        first += 1
    return number, cell.line, first


def _oversized(nb: Any) -> int | None:
    """Index of the first code cell whose outputs exceed OUTPUT_LIMIT."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            if len(json.dumps(cell.get("outputs", []))) > OUTPUT_LIMIT:
                return index
    return None


async def _run_one(
    job: Job, timeout: int, threads: int, font: tuple[str, str]
) -> Outcome:
    """Start a kernel, execute the notebook, stop the kernel: one outcome.

    ``font`` (family, file) is the CJK font of the zh drawing of each figure
    (see ``figure_text.py``).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    current: list[int] = []
    start = time.perf_counter()
    try:
        timeout, source = sandbox.page_timeout(job.nb, timeout, settings.CELL_TIMEOUT)
    except ValueError as error:
        return Outcome(job.page, FAILED, detail=str(error))
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
    status, detail = SUCCEEDED, ""
    folder: str | None = None  # the kernel's working folder (gone once it stops)
    table = job.nb.metadata.get(figure_text.TABLE_KEY, {})
    try:
        await (stopper.start() if stopper is not km else _forked(km, threads))
        folder = stopper.folder
        await _execute_cells(client, figure_text.setup_code(table, *font))
    except CellTimeoutError as error:
        status, detail = TIMEOUT, str(error)
    except CellExecutionError as error:
        status, detail = FAILED, str(error)
    except Exception as error:  # nbclient's DeadKernelError, zmq errors, ...
        status, detail = FAILED, f"{type(error).__name__}: {error}"
        if not await km.is_alive():
            status = DIED
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        await stopper.terminate()
    if status == DIED:
        detail = kernels.kernel_exit(stopper)
    index = current[-1] if current and status != SUCCEEDED else None
    if status == SUCCEEDED and (index := _oversized(job.nb)) is not None:
        status = TOO_LARGE
        size = len(json.dumps(job.nb.cells[index].outputs))
        detail = f"its output is {size:,} bytes, over the limit of {OUTPUT_LIMIT:,}"
    page = job.page
    if status == SUCCEEDED and (found := _figure_problems(job, table)):
        status, page, detail = FIGURE_TEXT, figure_text.twin(job.page), found
    number, line, first = _locate(job, index)
    detail = _ANSI.sub("", detail)  # colours would hide "Cell In[4], line 2"
    detail += _limit_notes(status, detail, folder, f"{timeout} s per cell ({source})")
    if first:
        detail = _IPYTHON_CELL.sub(
            lambda m: f"{_display(job.page)}:{first + int(m[1]) - 1}", detail
        )
    return Outcome(page, status, time.perf_counter() - start, number, line, detail)


def _limit_notes(status: str, detail: str, folder: str | None, timeout: str) -> str:
    """What a failure owes to a limit of the kernel: the limit and its setting."""
    memory = f"{settings.kernel_memory():g} GiB ({settings.KERNEL_MEMORY})"
    if status == TIMEOUT:
        return f"\nthe limit is {timeout}"
    if status == DIED and "signal" in detail:
        return f"; the kernel's memory limit is {memory}"
    if status != FAILED:
        return ""
    notes = [
        sandbox.permission_note(detail, folder),
        sandbox.memory_note(detail, memory),
    ]
    return "".join(f"\n{note}" for note in notes if note)


def _figure_problems(job: Job, table: dict[str, str]) -> str:
    """The executed page's figure text problems (see figure_text.py), or ""."""
    zh = figure_text.twin(job.page)
    text = zh.read_text(encoding="utf-8") if zh.is_file() else ""
    lines = [cell.line for cell in parse_code_cells(text, str(zh))]
    return "\n".join(f"  {m}" for m in figure_text.problems(job.nb, table, lines))


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
        if outcome.status != SUCCEEDED:
            exec_cache.say(f"\nERROR: executing {outcome.describe()}")
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
        print(f"executed {_display(job.page)} in {outcome.seconds:.1f} s", flush=True)


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

    def on_signal(signum: int) -> None:
        if not got:
            got.append(signum)
            for task in run.tasks:
                task.cancel()

    run.tasks.extend(asyncio.create_task(one(job)) for job in jobs)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await asyncio.wait(run.tasks)  # a task's kernel is stopped even if cancelled
    finally:
        for signum, handler in previous.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, handler)
    return got[0] if got else 0


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


# Cell metadata that only says how an output is shown (alt text, captions):
# it may differ between the books, and does not change what the code does.
PRESENTATION_METADATA = frozenset({"mystnb"})


def code_key(cache: Any, nb: Any) -> str:
    """jupyter-cache's hash of a notebook without its presentation metadata.

    MyST-NB looks a page up by the hash of its code cells *with* their
    metadata, so a zh page whose figures have Chinese alt text has its own
    hash; by this key it is still the twin of its en page, and runs once.
    The key covers the figure text table (which both twins carry, see
    :func:`_read_jobs`): a new table draws the zh figures anew.
    """
    keys = {key for cell in nb.cells for key in cell.metadata}
    kept = sorted(keys - PRESENTATION_METADATA)
    hashed = ("kernelspec", figure_text.TABLE_KEY)
    return str(cache.create_hashed_notebook(nb, hashed, cell_metadata=kept)[1])


def _drawn_with(cache: Any, digest: str, table: dict[str, str]) -> bool:
    """True if the cached notebook ``digest`` drew its figures with ``table``.

    MyST-NB's hash of a notebook ignores the front matter's table, so an
    edited table leaves the page's hash as it was: the record says which
    table its outputs were drawn with.
    """
    from jupyter_cache.cache.db import NbCacheRecord

    record = NbCacheRecord.record_from_hashkey(digest, cache.db)
    drawn = (record.data or {}).get(figure_text.TABLE_KEY)
    return bool(drawn == figure_text.table_digest(table))


def with_outputs(nb: Any, executed: Any) -> Any:
    """A copy of ``nb`` with the outputs of ``executed``, a notebook of the same code."""
    import copy

    result = copy.deepcopy(nb)
    targets = [cell for cell in result.cells if cell.cell_type == "code"]
    sources = [cell for cell in executed.cells if cell.cell_type == "code"]
    if [c.source for c in targets] != [c.source for c in sources]:
        raise ValueError("executed must have the same code cells as nb")
    for target, source in zip(targets, sources, strict=True):
        target.outputs = copy.deepcopy(source.outputs)
        target.execution_count = source.execution_count
    if "language_info" in executed.metadata:
        result.metadata["language_info"] = executed.metadata["language_info"]
    return result


def _read_jobs(pages: list[Path], cache: Any, index: exec_cache.PageIndex) -> list[Job]:
    """One job per distinct code, among the pages whose outputs are not cached.

    A page whose notebook is cached (its twin's, or one with the same code
    and metadata) is added to the index; one whose code ran for another page
    gets that page's outputs, without a kernel; a notebook without code is its
    own executed copy and is cached at once (MyST-NB would start a kernel).
    """
    from d2l_book.sphinxext import notebooks

    extensions = set(settings.MYST_EXTENSIONS)
    jobs: dict[str, Job] = {}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if index.cached(text):
            continue
        nb = notebooks.read_page(page, text, extensions)
        notebooks.store(settings.BUILD, text, _constant(nb))
        # Both twins carry the zh page's table: one execution draws for both.
        table = figure_text.table_for(page)
        nb.metadata[figure_text.TABLE_KEY] = table
        _, digest = cache.create_hashed_notebook(nb)
        if digest in index.sound and _drawn_with(cache, digest, table):
            index.add(text, digest)
            continue
        if not any(cell.cell_type == "code" for cell in nb.cells):
            data = {figure_text.TABLE_KEY: figure_text.table_digest(table)}
            index.add(text, exec_cache.store(cache, nb, str(page), data))
            continue
        code = code_key(cache, nb)
        if (ran := index.executed(cache, code)) is not None:
            executed, data = with_outputs(nb, ran[0]), ran[1]
            index.add(text, exec_cache.store(cache, executed, str(page), data))
        elif code in jobs:
            jobs[code].twins.append(Twin(page, text, nb, digest))
        else:
            jobs[code] = Job(
                page, text, nb, digest, code, [Twin(page, text, nb, digest)]
            )
    # Longest first (by code size), so that no long page starts last.
    return sorted(
        jobs.values(),
        key=lambda job: (
            -sum(len(c.source) for c in job.nb.cells if c.cell_type == "code")
        ),
    )


def _prepare_kernels() -> None:
    """Check the limits' settings and give the kernels their folders.

    Before anything imports Matplotlib (see ``sandbox.prepare``), even when
    no page runs: a live preview forks its later kernels from this process.
    """
    settings.kernel_memory()  # a bad value fails here, not in every kernel
    settings.cell_timeout()
    sandbox.prepare(str(settings.KERNEL_HOME))


def execute_missing(pages: list[Path], workers: int, keep_going: bool = False) -> bool:
    """Execute the pages whose outputs the cache lacks; False if one fails.

    Raises :class:`Interrupted` (after stopping every kernel) on SIGINT or
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
        jobs = _read_jobs(pages, cache, index)
        if not jobs:
            return True
        start = time.perf_counter()
        print(f"executing {len(jobs)} notebook(s), {workers} at a time", flush=True)
        if not sandbox.abi():
            sandbox.say_unconfined()
        if kernels.use_fork():
            code = "\n".join(c.source for j in jobs for c in j.nb.cells)
            kernels.preload(code)
        font = figure_text.cjk_font()  # forked kernels inherit it
        timeout = settings.cell_timeout()
        got = asyncio.run(_execute_all(run, jobs, workers, timeout, font))
    except (figure_text.FigureTextError, figure_text.MissingFontError) as error:
        exec_cache.say(f"ERROR: {error}")
        return False
    finally:
        index.save()
    if got:
        raise Interrupted(got)
    failed = [o for o in run.outcomes if o.status != SUCCEEDED]
    skipped = len(jobs) - len(run.outcomes)
    counts = Counter(o.status for o in run.outcomes)
    if skipped:
        counts["not started"] = skipped
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"execution: {time.perf_counter() - start:.1f} s ({summary})", flush=True)
    if failed:
        exec_cache.say(
            f"{len(failed)} notebook(s) failed"
            + (
                f", {skipped} not executed (stopped at the first failure)"
                if skipped
                else ""
            )
            + ": "
            + ", ".join(_display(o.page) for o in failed)
        )
    return not failed
