"""Shared fixtures: the repository's paths and the built site."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib

# No display in tests: draw with the Agg backend, before pyplot is imported.
matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

# The build folder, the books and the paths: the engine's settings (pytest
# imports d2l_book from the root, see pyproject.toml's pythonpath).
from d2l_book import settings

ROOT = settings.ROOT
DOCS = settings.DOCS
BOOKS = tuple(settings.BOOKS)
BUILD = settings.BUILD
HTML = settings.HTML


_build_failure: list[str] = []
# The site of the session's build when it was a cold one (an empty build
# folder): each file's SHA-256, taken before any test adds to the site (the
# PDF build publishes its PDFs there). test_reproducible compares a second
# cold build with it instead of making two of its own.
cold_site: dict[str, str] = {}


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


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Build both books strictly (cached execution makes a rebuild quick).

    ``D2L_USE_BUILT_SITE=1`` tests the site already in the build folder instead,
    for quick iterations on the tests themselves.
    """
    if os.environ.get("D2L_USE_BUILT_SITE") == "1":
        assert (HTML / "index.html").is_file(), f"no built site in {HTML}"
        return HTML
    if _build_failure:
        pytest.fail(_build_failure[0])
    cold = not BUILD.exists() or not any(BUILD.iterdir())
    result = run_build()
    log = result.stdout + result.stderr
    (BUILD / "build.log").parent.mkdir(parents=True, exist_ok=True)
    (BUILD / "build.log").write_text(log, encoding="utf-8")
    if result.returncode:
        # Remembered, so that a failed build is not retried by every module.
        _build_failure.append(f"strict build failed:\n{log[-6000:]}")
        pytest.fail(_build_failure[0])
    if cold:
        cold_site.update(digests(HTML))
    return HTML


@pytest.fixture(autouse=True)
def _fresh_matplotlib() -> Iterator[None]:
    """Every test starts without figures and leaves rcParams as it found them."""
    plt.close("all")
    with matplotlib.rc_context():
        yield
    plt.close("all")
