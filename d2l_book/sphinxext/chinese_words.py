"""jieba, which cuts the zh book's text into words for its search index:
quiet, kept in the build folder, and its dictionary loaded from a pickle.

Sphinx's Chinese search (``sphinx.search.zh``) cuts each page it writes with
jieba, whose first cut loads its dictionary (350,000 words and their
prefixes): 1.0 s from the text, 0.75 s from jieba's own ``marshal`` cache, on
every build that writes a zh page, a one-page edit included.  The same
dictionary pickled loads in 0.25 s (this machine).  jieba has no setting for
its cache's format, so the loader of its default tokenizer is replaced by one
that reads the pickle in the build folder, made by jieba's own loader the
first time, and keyed by jieba's version and its dictionary file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

PICKLE = "jieba-dictionary.pickle"


def cuts_words(language: str) -> bool:
    """Whether Sphinx's search cuts a book in ``language`` into words with
    jieba: its Chinese search (``sphinx.search.zh``) serves every ``zh*``."""
    return language.startswith("zh")


def _key(jieba: Any) -> str:
    """jieba's version and its dictionary file (path, size, mtime)."""
    with jieba.dt.get_dict_file() as dictionary:
        path = Path(dictionary.name)
    info = path.stat()
    return f"{jieba.__version__} {path} {info.st_size} {info.st_mtime_ns}"


def _load(tokenizer: Any, original: Any, folder: Path, key: str) -> None:
    """Give ``tokenizer`` its dictionary from the pickle, or make the pickle."""
    path = folder / PICKLE
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, ValueError):
        stored = pickle.loads(path.read_bytes())
        if isinstance(stored, dict) and stored.get("key") == key:
            tokenizer.FREQ, tokenizer.total = stored["FREQ"], stored["total"]
            tokenizer.initialized = True
            return
    original()
    data = {"key": key, "FREQ": tokenizer.FREQ, "total": tokenizer.total}
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{PICKLE}.")
    try:
        with os.fdopen(fd, "wb") as file:
            pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:  # no pickle this time (a full disk): jieba has its words
        Path(temporary).unlink(missing_ok=True)


def prepare_jieba(folder: Path) -> None:
    """jieba quiet, its caches in ``folder``, its dictionary from a pickle there."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = jieba.dt
    tokenizer.tmp_dir = str(folder)
    original = type(tokenizer).initialize.__get__(tokenizer)

    def initialize(dictionary: str | None = None) -> None:
        if dictionary or tokenizer.initialized:
            original(dictionary)  # another dictionary: jieba's own way
            return
        with tokenizer.lock:
            if not tokenizer.initialized:
                _load(tokenizer, original, folder, _key(jieba))

    tokenizer.initialize = initialize


def load_dictionary(folder: Path) -> None:
    """Load jieba's dictionary now (from the pickle in ``folder``): the live
    preview of the zh book does it once, and each rebuild it forks has it."""
    import jieba

    prepare_jieba(folder)
    jieba.dt.initialize()
