"""The book for the tests of the sources, the engine and the site.

Its paths and pages are the engine's (``d2l_book``, imported from the
checkout's root, see pyproject.toml's ``pythonpath``), and ``run_build`` builds
it as the README says. The tests of the package (tests/package) never import
this module: they run without the engine and Sphinx.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from d2l_book import settings

ROOT = settings.ROOT
DOCS = settings.DOCS
BOOKS = tuple(settings.BOOKS)
BUILD = settings.BUILD
HTML = settings.HTML


def source_snapshot(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every source file under ``docs`` and ``src``.

    Source files are those git tracks or would track: committed or not, an
    author's new page counts, ignored files (the build folder, caches) do not.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        + ["--", "docs", "src"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    snapshot = {}
    for name in filter(None, listed.split("\0")):
        path = root / name
        if path.is_file():
            stat = path.stat()
            snapshot[name] = (stat.st_mtime_ns, stat.st_size)
    return snapshot


def changed_sources(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> list[str]:
    """The files written, added or removed between two ``source_snapshot``."""
    return sorted(
        name
        for name in before.keys() | after.keys()
        if before.get(name) != after.get(name)
    )


def run_build(
    build_dir: Path | None = None, root: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Build both books strictly with ``python -m d2l_book build``, output captured.

    ``build_dir`` is the build folder (default: the project's, or
    ``D2L_BUILD_DIR``); give a temporary folder for a side build. ``root`` is
    the checkout to build (its docs/ with its engine), a modified copy for instance.
    """
    env = dict(os.environ)
    if build_dir is not None:
        env["D2L_BUILD_DIR"] = str(build_dir)
    return subprocess.run(
        [sys.executable, "-m", "d2l_book", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, by its relative path: the bytes it holds."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def digests(root: Path) -> dict[str, str]:
    """Every file under ``root``, by its relative path: its SHA-256."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def pages() -> list[str]:
    """Names (without .md) of the English book's pages."""
    return sorted(p.stem for p in (DOCS / "en").glob("*.md"))
