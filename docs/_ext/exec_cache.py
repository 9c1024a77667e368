"""The shared execution cache: opened safely, checked, written atomically.

jupyter-cache's database is the only truth about which notebooks are
executed.  This module adds what the build needs around it:

- :func:`open_cache` checks the database and every record's notebook file; a
  damaged database is named and discarded, a record without its file is named
  and dropped (its page is executed again), so no later build crashes on it;
- :func:`store` writes a notebook file first and its record second, so an
  interrupted write leaves at worst a file without a record (rewritten later),
  never a record without a file.  jupyter-cache's ``cache_notebook_bundle``
  does the reverse, which is why it is not used;
- :class:`PageIndex` maps each page's text to its notebook's hash key, so a
  no-op build needs not read the pages, and each code key (see
  ``execute.code_key``) to the notebook that ran it, so a twin whose alt text
  differs gets those outputs without a kernel; an entry counts only while the
  database holds a record with that key.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from jupyter_cache import get_cache
from jupyter_cache.cache.db import NbCacheRecord
from jupyter_cache.cache.main import JupyterCacheBase

INDEX_NAME = "d2l-prep-pages.json"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _notebook_file(cache: JupyterCacheBase, hashkey: str) -> Path:
    # jupyter-cache's own layout (executed/<hashkey>/base.ipynb).
    return Path(cache._get_notebook_path_cache(hashkey))


def open_cache(path: Path) -> tuple[JupyterCacheBase, set[str]]:
    """The cache at ``path`` and the hash keys of its sound records."""
    try:
        cache = get_cache(str(path))
        records = cache.list_cache_records()
    except Exception as error:  # sqlite, SQLAlchemy or jupyter-cache errors
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        say(f"execution cache {path} is damaged ({reason}): discarding it")
        shutil.rmtree(path, ignore_errors=True)
        cache = get_cache(str(path))
        records = cache.list_cache_records()
    sound = set()
    broken = []
    for record in records:
        if _notebook_file(cache, record.hashkey).is_file():
            sound.add(record.hashkey)
        else:
            say(
                f"execution cache: the record of {record.uri} has no notebook file "
                f"({_notebook_file(cache, record.hashkey)}): dropping it"
            )
            broken.append(record.pk)
    if broken:
        NbCacheRecord.remove_records(broken, cache.db)
    return cache, sound


def store(cache: JupyterCacheBase, nb: Any, uri: str, data: dict[str, Any]) -> str:
    """Cache an executed notebook: the file (atomically), then its record."""
    import nbformat

    hashed, hashkey = cache.create_hashed_notebook(nb)
    path = _notebook_file(cache, hashkey)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = nbformat.writes(hashed, nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
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
