"""Whether the last build's site still stands for the sources: then skip it.

A build that changes nothing used to start Sphinx for each book anyway
(about 1.5 s each: the Sphinx stack, its environment, every doctree for the
figure numbers, the index pages written again), and to check the execution
cache (jupyter-cache's imports alone: 0.5 s), to write the same site again.

After a build that succeeded, :func:`record` writes a stamp: a digest of
everything the build reads and writes, as file names, sizes and modification
times (as ``make`` and Sphinx judge a file):

- the sources: ``docs/`` (both books, ``conf.py``, templates, static files),
  the engine ``d2l_book/`` and the package ``src/d2l_prep/``;
- what the build keeps: the site, Sphinx's doctrees, the cells' images, the
  execution caches (a ``merge`` or a damaged database changes them);
- the environment: the Python, its installed packages (the modification
  time of each folder on ``sys.path``: an install or upgrade adds or removes
  entries there), the variables that change what pages say, the git
  commit (each page's footer has the date of its last commit), the books.

The next build computes the digest first (about 30 ms): if it equals the
stamp, nothing changed since and the build says so and ends.  Any change, an
edit, a deleted page of the site, a ``pip install``, a commit, a
``nox -s pdf`` (which writes into the site) means a full build, which Sphinx
makes incremental.  The stamp is removed before a build renders, so a build
that fails or is stopped leaves none.  Deleting ``docs/_build`` still gives
a cold build.  A library for this (``doit``, ``make``) would need the same
list of inputs written out, and one more tool to run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from d2l_book.settings import BUILD, DOCS, HTML, ROOT, SITE_VARIABLES

STAMP = BUILD / "rendered.stamp"
# What a build writes and reads back, under the build folder.
KEPT = (HTML, BUILD / "doctrees", BUILD / "jupyter_execute", BUILD / ".jupyter_cache")
SOURCES = (DOCS, ROOT / "d2l_book", ROOT / "src" / "d2l_prep")


def _files(folder: Path, base: Path) -> Iterator[str]:
    """``path size mtime`` of each file under ``folder``, in a stable order,
    the path relative to ``base`` (a copy of a built tree is still built).

    Skips the build folder (walked on its own, for what it keeps), caches of
    Python bytecode and hidden folders.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir():
            skipped = entry.name == "__pycache__" or entry.name.startswith(".")
            if not skipped and Path(entry.path) != BUILD:
                yield from _files(Path(entry.path), base)
        elif entry.is_file():
            info = entry.stat()
            yield f"{os.path.relpath(entry.path, base)} {info.st_size} {info.st_mtime_ns}"


def _git_commit() -> str:
    """The checkout's commit ('' outside git or without it)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _environment(books: tuple[str, ...]) -> Iterator[str]:
    yield f"{sys.executable} {sys.version} books={','.join(books)}"
    for entry in sys.path:  # the checkout's own folders are walked
        if os.path.isdir(entry) and not Path(entry).resolve().is_relative_to(ROOT):
            yield f"{entry} {os.stat(entry).st_mtime_ns}"
    for name in SITE_VARIABLES:
        # Unset, SOURCE_DATE_EPOCH is 0 (the build sets it so for the kernels).
        default = "0" if name == "SOURCE_DATE_EPOCH" else ""
        yield f"{name}={os.environ.get(name, default)}"
    yield f"git {_git_commit()}"


def digest(books: tuple[str, ...]) -> str:
    """The digest of what a build of ``books`` reads and writes (see above)."""
    hashed = hashlib.sha256()
    listed = [
        *(f for folder in SOURCES for f in _files(folder, ROOT)),
        *(f for folder in KEPT for f in _files(folder, BUILD)),
    ]
    for line in (*_environment(books), *listed):
        hashed.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return hashed.hexdigest()


def unchanged(books: tuple[str, ...]) -> bool:
    """True if the last build's stamp matches the sources and site as they are."""
    try:
        stamp = STAMP.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return stamp == digest(books)


def forget() -> None:
    """Remove the stamp: the build is about to change the site."""
    STAMP.unlink(missing_ok=True)


def record(books: tuple[str, ...]) -> None:
    """Stamp the site just built (call once the build is over and succeeded)."""
    STAMP.write_text(digest(books) + "\n", encoding="utf-8")
