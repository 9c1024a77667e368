"""The built site, built once per session for the tests of this folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.book import (
    BUILD,
    HTML,
    changed_sources,
    digests,
    run_build,
    source_snapshot,
)
from tests.site import parsed

_build_failure: list[str] = []
# What the session's build changed in the sources (tests.book.source_snapshot):
# filled by built_site, checked by test_site.py.
source_changes: list[str] = []
# The site of the session's build when it was a cold one (an empty build
# folder): each file's SHA-256, taken before any test adds to the site (the
# PDF build publishes its PDFs there). test_reproducible compares a second
# cold build with it instead of making two of its own.
cold_site: dict[str, str] = {}


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
    before = source_snapshot()
    result = run_build()
    source_changes.extend(changed_sources(before, source_snapshot()))
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
def _shared_pages_stay_unchanged() -> Iterator[None]:
    """No test changes a page tree it shares with the others (parsed.tree)."""
    yield
    changed = parsed.changed_pages()
    assert changed == [], (
        f"the test changed the shared parsed pages {changed}: "
        "change a copy of its own (parsed.parse) instead"
    )
