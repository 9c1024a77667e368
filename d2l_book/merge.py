"""Merge the execution caches of shards into this checkout's.

    python -m d2l_book merge DIR...

Each DIR is a copy of another checkout's ``docs/_build/.jupyter_cache``
folder, as ``actions/download-artifact`` lays out an artifact uploaded from
that path: it holds one jupyter-cache per execution key, ``DIR/<key>/``
(``global.db`` and ``executed/``).  DIR may also be one such key folder.
Only the cache of this checkout's key (``settings.execution_key``: the
library versions and the package's sources) is merged: a DIR without it was
made under other versions or sources, and is refused, naming its keys,
before anything is merged.  Every notebook merged is checked as a build
checks its own cache (``exec_cache.check_records``); a damaged one is named
and skipped (its pages would execute again; ``build --cached-only`` then
names them), and the merge ends with status 1.

Notebooks are read with jupyter-cache's ``get_cache_bundle`` and written with
``exec_cache.store``, which hashes them with ``create_hashed_notebook`` as
``cache_notebook_bundle`` does, but writes the file before the record (an
interrupted merge leaves no record without its file) and keeps the record's
data (execution time, figure table) that the build checks.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from d2l_book import settings
from d2l_book.console import say
from d2l_book.execution import exec_cache


class MergeError(ValueError):
    """A DIR that cannot be merged: not a cache, another key, a damaged database."""


def source_cache(folder: Path, key: str) -> Path:
    """The cache of execution key ``key`` in ``folder`` (see the module's docstring)."""
    if not folder.is_dir():
        raise MergeError(f"{folder} is not a folder")
    if (folder / "global.db").is_file():  # a key folder itself
        if folder.name == key:
            return folder
        keys = [folder.name]
    elif (folder / key / "global.db").is_file():
        return folder / key
    else:
        keys = sorted(p.name for p in folder.iterdir() if (p / "global.db").is_file())
    if not keys:
        raise MergeError(
            f"{folder} holds no execution cache (no <key>/global.db): give the "
            "folder a shard's docs/_build/.jupyter_cache was downloaded to"
        )
    raise MergeError(
        f"{folder} holds the execution cache of key {', '.join(keys)}, not this "
        f"checkout's {key}: it was executed with other library versions or "
        "package sources (settings.execution_key); refusing to merge it"
    )


def open_source(path: Path) -> tuple[Any, list[Any]]:
    """The shard's cache and its checked records, read only."""
    from jupyter_cache import get_cache

    try:
        cache = get_cache(str(path))
        records = cache.list_cache_records()
    except Exception as error:  # sqlite, SQLAlchemy or jupyter-cache errors
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MergeError(f"the execution cache {path} is damaged ({reason})") from None
    return cache, exec_cache.check_records(cache, records)


def _copy(shard: Any, record: Any, cache: Any) -> str:
    """Store the shard's notebook of ``record`` in ``cache``; what is wrong, or "".

    ``check_records`` found it sound, perhaps by a marker the shard wrote:
    the file is read again here, and a failure is damage, not a crash.
    """
    try:
        nb = shard.get_cache_bundle(record.pk).nb
    except Exception as error:  # nbformat's, json's, OSError, KeyError
        reason = (str(error).strip() or type(error).__name__).splitlines()[0][:200]
        return f"has a notebook file that cannot be read ({reason})"
    _, hashkey = cache.create_hashed_notebook(nb)
    if hashkey != record.hashkey:  # the file is not the notebook its record names
        return f"has a notebook file whose code hashes to {hashkey}, not its key"
    exec_cache.store(cache, nb, record.uri, dict(record.data or {}))
    return ""


def merge_one(
    source: Path, cache: Any, index: exec_cache.PageIndex
) -> tuple[int, int, int]:
    """Merge the cache at ``source`` into ``cache``: (merged, already here, damaged)."""
    shard, checked = open_source(source)
    counts = {"merged": 0, "present": 0, "damaged": 0}
    keys: set[str] = set()
    for record, notebook, problem in checked:
        if record.hashkey in index.sound:
            counts["present"] += 1
        elif not problem and not (problem := _copy(shard, record, cache)):
            index.sound.add(record.hashkey)
            counts["merged"] += 1
        else:
            say(
                f"merge: the record of {record.uri} {problem} ({notebook}): skipped",
                problem=True,
            )
            counts["damaged"] += 1
            continue
        keys.add(record.hashkey)
    shard_index = exec_cache.PageIndex(source, keys)  # its pages' entries hold here
    index.entries.update(shard_index.entries)
    index.code.update(shard_index.code)
    return counts["merged"], counts["present"], counts["damaged"]


def merge(folders: list[Path]) -> int:
    """Merge every folder's cache into this checkout's; an exit status."""
    from d2l_book.build import build_lock

    key = settings.execution_key()
    try:
        sources = [source_cache(folder, key) for folder in folders]
        for source in sources:
            open_source(source)  # a damaged database refuses the whole merge
    except MergeError as error:
        say(f"ERROR: {error}", problem=True)
        return 1
    start = time.perf_counter()
    target = settings.execution_cache()
    status = 0
    with build_lock():
        cache, sound = exec_cache.open_cache(target)
        index = exec_cache.PageIndex(target, sound)
        try:
            for folder, source in zip(folders, sources, strict=True):
                merged, present, damaged = merge_one(source, cache, index)
                status = status or int(damaged > 0)
                say(
                    f"{folder}: {merged} notebook(s) merged, {present} already here"
                    + (f", {damaged} damaged, skipped" if damaged else "")
                )
        finally:
            index.save()
    say(f"merge: {time.perf_counter() - start:.1f} s into {target}")
    return status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``merge``'s arguments: the folders."""
    parser.add_argument(
        "folders",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="a copy of a shard's docs/_build/.jupyter_cache (holding <key>/global.db)",
    )


def main(args: argparse.Namespace) -> int:
    """``python -m d2l_book merge DIR...``."""
    return merge(list(args.folders))
