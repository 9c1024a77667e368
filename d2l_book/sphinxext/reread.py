"""Read a page again when its cached outputs changed, though its text did not.

Sphinx re-reads a page when its source changes; MyST-NB takes its outputs
from the shared jupyter-cache while reading.  So when a page is executed anew
without its text changing (the cache was emptied or repaired, or a record was
replaced), Sphinx kept the old outputs in its doctree and the page showed
them until its text changed.  MyST-NB records, for each page it read from the
cache, when that cache record was made (its ``exec_data`` ``mtime``); before
reading, this compares it with the record the page's text now maps to in the
cache (through the executor's page index) and has Sphinx read again each page
whose record is newer or different.  A page the index does not know (a plain
``sphinx-build`` whose pages MyST-NB executed itself) is left to Sphinx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from d2l_book.execution import exec_cache


def record_times(cache_path: Path) -> dict[str, float]:
    """Hash key -> creation time of every sound record in the cache (none if no cache).

    The cache is opened with :func:`exec_cache.open_cache`, which drops a
    record whose notebook file is damaged before MyST-NB reads it (it would
    stop Sphinx with a ``NotJSONError``): after ``d2l_book/build.py``'s execution
    step there is none, and a plain ``sphinx-build`` executes its page again.
    """
    if not (cache_path / "global.db").is_file():
        return {}
    cache, sound = exec_cache.open_cache(cache_path)
    records = cache.list_cache_records()
    return {r.hashkey: r.created.timestamp() for r in records if r.hashkey in sound}


def _pages_with_new_outputs(
    app: Sphinx,
    env: BuildEnvironment,
    added: set[str],
    changed: set[str],
    removed: set[str],
) -> list[str]:
    from myst_nb.sphinx_ import NbMetadataCollector  # noqa: PLC0415

    cache_path = Path(app.config.nb_execution_cache_path)
    times = record_times(cache_path)
    if not times:
        return []
    index = exec_cache.PageIndex(cache_path, set(times))
    stale = []
    for docname in sorted(env.found_docs - added - changed - removed):
        data = NbMetadataCollector.get_exec_data(env, docname)
        if not data or data.get("method") != "cache":
            continue
        text = Path(env.doc2path(docname)).read_text(encoding="utf-8")
        hashkey = index.entries.get(exec_cache.page_hash(text))
        if hashkey is not None and times[hashkey] != data.get("mtime"):
            stale.append(docname)
    return stale


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-get-outdated", _pages_with_new_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
