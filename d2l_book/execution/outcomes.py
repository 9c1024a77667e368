"""How one notebook's execution ended, said with its page, cell and line.

Every run ends in one :class:`Outcome`, like jupyter-cache's
``ExecutorRunResult`` but with the reason: succeeded, a failed cell (page,
cell, line in the ``.md`` file, traceback), a dead kernel (exit status or
signal), a timeout, an output too large, or figure text that does not match
its figures; a failure owed to a kernel's limit names the limit's setting.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from d2l_book import settings
from d2l_book.execution import sandbox
from d2l_book.execution.jobs import Job
from d2l_book.settings import DOCS
from d2l_book.sources.cells import parse_code_cells
from d2l_book.sphinxext import figure_text


class Status(Enum):
    """How a notebook's execution ended; the value is how the summary says it."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DIED = "kernel died"
    TIMEOUT = "timed out"
    TOO_LARGE = "output too large"
    FIGURE_TEXT = "figure text does not match its figures"
    NOT_STARTED = "not started"  # left when a build stops early


# A cell output larger than this fails its page: such an output (a tensor
# printed in full, a huge figure) makes the page and the search index
# megabytes heavy, and is nearly always a mistake; warnings fail the build
# anyway (sphinx -W), so a warning would fail it too, later and less clearly.
OUTPUT_LIMIT = 1_000_000


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


_IPYTHON_CELL = re.compile(r"Cell In\[\d+\], line (\d+)")


@dataclass
class Outcome:
    """How one notebook's execution ended."""

    page: Path
    status: Status
    seconds: float = 0.0
    cell: int | None = None  # 1-based number among the page's code cells
    line: int | None = None  # line of that cell's fence in the page
    detail: str = ""

    def describe(self) -> str:
        where = display_path(self.page)
        if self.line is not None:
            where += f":{self.line} (code cell {self.cell})"
        if self.status == Status.DIED:
            return f"{where}: the kernel died ({self.detail or 'no status'})"
        if self.status == Status.TIMEOUT:
            return f"{where}: the cell timed out\n{self.detail}"
        return f"{where}: {self.status.value}\n{self.detail}"


def display_path(page: Path) -> str:
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


def _limit_notes(status: Status, detail: str, folder: str | None, timeout: str) -> str:
    """What a failure owes to a limit of the kernel: the limit and its setting."""
    memory = f"{settings.kernel_memory():g} GiB ({settings.KERNEL_MEMORY})"
    if status == Status.TIMEOUT:
        return f"\nthe limit is {timeout}"
    if status == Status.DIED and "signal" in detail:
        return f"; the kernel's memory limit is {memory}"
    if status != Status.FAILED:
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


def judge(
    job: Job,
    status: Status,
    detail: str,
    index: int | None,
    folder: str | None,
    limit: str,
    start: float,
) -> Outcome:
    """The outcome of an executed job: the kernel's ``status`` and ``detail``,
    checked for outputs too large and figure text, placed on its page's line.

    ``index`` is the notebook index of the failing cell, ``folder`` the kernel's
    working folder, ``limit`` the time limit as said, ``start`` its start time.
    """
    table = job.nb.metadata.get(figure_text.TABLE_KEY, {})
    if status == Status.SUCCEEDED and (index := _oversized(job.nb)) is not None:
        status = Status.TOO_LARGE
        size = len(json.dumps(job.nb.cells[index].outputs))
        detail = f"its output is {size:,} bytes, over the limit of {OUTPUT_LIMIT:,}"
    page = job.page
    if status == Status.SUCCEEDED and (found := _figure_problems(job, table)):
        status, page, detail = Status.FIGURE_TEXT, figure_text.twin(job.page), found
    number, line, first = _locate(job, index)
    detail = _ANSI.sub("", detail)  # colours would hide "Cell In[4], line 2"
    detail += _limit_notes(status, detail, folder, limit)
    if first:
        detail = _IPYTHON_CELL.sub(
            lambda m: f"{display_path(job.page)}:{first + int(m[1]) - 1}", detail
        )
    return Outcome(page, status, time.perf_counter() - start, number, line, detail)
