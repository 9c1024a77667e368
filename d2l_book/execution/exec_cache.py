"""The shared execution cache: opened safely, checked, written atomically.

jupyter-cache's database is the only truth about which notebooks are
executed.  This module adds what the build needs around it:

- :func:`open_cache` checks the database and every record's notebook file; a
  damaged database is named and discarded, a record whose file is missing, is
  not JSON or is not a valid notebook is named (its page and what is wrong)
  and dropped, so its page is executed again in the same build and no later
  build crashes on it.  The executor opens the cache this way before it looks
  anything up, and so does each Sphinx process (``reread.py``) before MyST-NB
  reads a page's outputs from it;
- :func:`prune_caches` removes the caches of old execution keys, keeping the
  most recently used few;
- :func:`store` writes a notebook file first and its record second, so an
  interrupted write leaves at worst a file without a record (rewritten later),
  never a record without a file.  jupyter-cache's ``cache_notebook_bundle``
  does the reverse, which is why it is not used;
- :class:`PageIndex` maps each page's text to its notebook's hash key, so a
  no-op build needs not read the pages, and each code key (see
  ``jobs.code_key``) to the notebook that ran it, so a twin whose alt text
  differs gets those outputs without a kernel; an entry counts only while the
  database holds a record with that key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jupyter-cache is imported where used: pruning needs none of it
    from jupyter_cache.cache.db import NbCacheRecord
    from jupyter_cache.cache.main import JupyterCacheBase

from d2l_book.console import say

INDEX_NAME = "d2l-prep-pages.json"
# Execution caches kept in ``_build/.jupyter_cache`` (the current key's and
# the most recently used others'): switching back to a branch or a version
# reuses one; a full build removes the rest.
KEEP_CACHES = 3


def _notebook_file(cache: JupyterCacheBase, hashkey: str) -> Path:
    # jupyter-cache's own layout (executed/<hashkey>/base.ipynb).
    return Path(cache._get_notebook_path_cache(hashkey))


def open_cache(path: Path) -> tuple[JupyterCacheBase, set[str]]:
    """The cache at ``path`` and the hash keys of its sound records.

    Every record is checked (see :func:`damage`); a damaged one is named,
    with its page and what is wrong, and dropped with its folder.
    """
    from jupyter_cache import get_cache
    from jupyter_cache.cache.db import NbCacheRecord

    try:
        cache = get_cache(str(path))
        records = cache.list_cache_records()
    except Exception as error:  # sqlite, SQLAlchemy or jupyter-cache errors
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        say(
            f"execution cache {path} is damaged ({reason}): discarding it", problem=True
        )
        shutil.rmtree(path, ignore_errors=True)
        cache = get_cache(str(path))
        records = cache.list_cache_records()
    with contextlib.suppress(OSError):
        os.utime(path)  # the time of its last use, for prune_caches
    sound = set()
    broken = []
    for record, notebook, problem in check_records(cache, records):
        if not problem:
            sound.add(record.hashkey)
            continue
        say(
            f"execution cache: the record of {_page(record.uri)} {problem} "
            f"({notebook}): dropping it, its page is executed again",
            problem=True,
        )
        broken.append(record.pk)
        shutil.rmtree(notebook.parent, ignore_errors=True)
    if broken:
        NbCacheRecord.remove_records(broken, cache.db)
    return cache, sound


def check_records(
    cache: JupyterCacheBase, records: list[NbCacheRecord]
) -> list[tuple[NbCacheRecord, Path, str]]:
    """Each record with its notebook file and what is wrong with it ("" if sound).

    Reads only (see :func:`damage`): :func:`open_cache` drops what is damaged
    in this checkout's cache; ``merge`` skips it in a shard's.
    """
    checked = []
    for record in records:
        notebook = _notebook_file(cache, record.hashkey)
        checked.append((record, notebook, damage(notebook)))
    return checked


def _page(uri: str) -> str:
    """``docs/en/page.md`` for a page of this checkout, else the record's uri."""
    from d2l_book.settings import ROOT  # noqa: PLC0415

    try:
        return Path(uri).relative_to(ROOT).as_posix()
    except ValueError:
        return uri


# Next to each notebook file found sound: its size and modification time then.
CHECKED_NAME = "d2l-prep-checked"


def _signature(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size} {status.st_mtime_ns}\n"


def _note_sound(path: Path, signature: str) -> None:
    marker = path.with_name(CHECKED_NAME)
    temporary = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):  # unnoted, it is only checked again
        temporary.write_text(signature, encoding="utf-8")
        os.replace(temporary, marker)


def damage(path: Path) -> str:
    """What is wrong with the cached notebook file ``path``, or "" if it is sound.

    Sound means nbformat reads it and it validates against the notebook
    schema, which is what MyST-NB and ``merge_match_into_notebook`` need.
    Validating every notebook on every build would cost seconds, so a file
    found sound gets a marker with its size and modification time; while
    they are unchanged (no write, no truncation), it is not read again.
    """
    import nbformat

    try:
        signature = _signature(path)
    except FileNotFoundError:
        return "has no notebook file"
    except OSError as error:
        return f"has a notebook file that cannot be read ({error.strerror})"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if path.with_name(CHECKED_NAME).read_text(encoding="utf-8") == signature:
            return ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        return f"has a notebook file that is not JSON ({error.msg}: {where})"
    except (OSError, UnicodeDecodeError) as error:
        return f"has a notebook file that cannot be read ({error})"
    try:
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        with warnings.catch_warnings():  # e.g. "missing an id field": not damage
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(data))  # type: ignore[no-untyped-call]
    except Exception as error:  # jsonschema's, nbformat's: all say why
        reason = (str(error).strip() or type(error).__name__).splitlines()[0][:200]
        return f"has a notebook file that is JSON but not a notebook ({reason})"
    _note_sound(path, signature)
    return ""


def prune_caches(folder: Path, current: Path, keep: int = KEEP_CACHES) -> list[Path]:
    """Remove the caches of other execution keys but the ``keep`` newest; those removed.

    Each change of a library's version or of the package makes a new cache
    (``settings.execution_key``); the old ones are kept a while (switching
    back, e.g. between branches, reuses them), the most recently opened
    first (:func:`open_cache` touches the folder), ``current`` always.
    """
    if not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep must be a positive int, got {keep!r}")
    if not folder.is_dir():
        return []
    others = [p for p in folder.iterdir() if p.is_dir() and p != current]
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = others[max(0, keep - 1) :] if current.is_dir() else others[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def store(cache: JupyterCacheBase, nb: Any, uri: str, data: dict[str, Any]) -> str:
    """Cache an executed notebook: the file (atomically), then its record."""
    import nbformat
    from jupyter_cache.cache.db import NbCacheRecord

    hashed, hashkey = cache.create_hashed_notebook(nb)
    path = _notebook_file(cache, hashkey)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = nbformat.writes(hashed, nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
    _note_sound(path, _signature(path))  # written from a notebook nbformat made
    try:
        old = NbCacheRecord.record_from_hashkey(hashkey, cache.db)
    except KeyError:
        pass
    else:
        NbCacheRecord.remove_records([old.pk], cache.db)
    NbCacheRecord.create_record(uri=uri, hashkey=hashkey, db=cache.db, data=data)
    return str(hashkey)


def page_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PageIndex:
    """Page text hash -> notebook hash key, and code key -> the notebook that ran.

    Both maps are trusted only against the database: an entry whose record
    is gone counts as missing, and is dropped when the index is saved.
    """

    def __init__(self, cache_path: Path, sound: set[str]) -> None:
        self.path = cache_path / INDEX_NAME
        self.sound = sound
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        self.entries = self._sound_entries(saved, "pages")
        self.code = self._sound_entries(saved, "code")

    def _sound_entries(self, saved: Any, name: str) -> dict[str, str]:
        entries = saved.get(name) if isinstance(saved, dict) else None
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if v in self.sound}

    def cached(self, text: str) -> bool:
        return self.entries.get(page_hash(text)) in self.sound

    def add(self, text: str, hashkey: str) -> None:
        self.sound.add(hashkey)
        self.entries[page_hash(text)] = hashkey

    def add_code(self, code: str, hashkey: str) -> None:
        """Remember that the notebook ``hashkey`` ran the code keyed ``code``."""
        self.sound.add(hashkey)
        self.code[code] = hashkey

    def executed(self, cache: JupyterCacheBase, code: str) -> tuple[Any, Any] | None:
        """The cached notebook that ran this code, and its record's data."""
        from jupyter_cache.cache.db import NbCacheRecord

        hashkey = self.code.get(code)
        if hashkey not in self.sound:
            return None
        record = NbCacheRecord.record_from_hashkey(hashkey, cache.db)
        bundle = cache.get_cache_bundle(record.pk)
        return bundle.nb, dict(record.data or {})

    def save(self) -> None:
        """Write the entries whose records exist (atomically)."""
        saved = {
            name: {k: v for k, v in sorted(entries.items()) if v in self.sound}
            for name, entries in (("pages", self.entries), ("code", self.code))
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(saved, indent=0) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
