"""The notebooks to execute: one job per distinct code, read from the pages.

A page whose notebook is cached, or whose code ran for another page (its
twin in the other book), needs no kernel; the others become :class:`Job`
objects, each for every page with the same code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d2l_book import settings
from d2l_book.execution import exec_cache
from d2l_book.sphinxext import figure_text


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


def read_jobs(pages: list[Path], cache: Any, index: exec_cache.PageIndex) -> list[Job]:
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
