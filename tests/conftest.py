"""Shared fixtures: the repository's paths and the built site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# The book tooling (cell reader, #@save tool) lives beside the build engine,
# with the build folder and the list of books (docs/_ext/layout.py).
sys.path.insert(0, str(DOCS / "_ext"))

import layout  # noqa: E402

BOOKS = tuple(layout.BOOKS)
BUILD = layout.BUILD
HTML = BUILD / "html"


_build_failure: list[str] = []


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
    result = subprocess.run(
        [sys.executable, str(DOCS / "build.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    log = result.stdout + result.stderr
    (BUILD / "build.log").parent.mkdir(parents=True, exist_ok=True)
    (BUILD / "build.log").write_text(log, encoding="utf-8")
    if result.returncode:
        # Remembered, so that a failed build is not retried by every module.
        _build_failure.append(f"strict build failed:\n{log[-6000:]}")
        pytest.fail(_build_failure[0])
    return HTML
