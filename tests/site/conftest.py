"""The built site, built once per test run for the tests of this folder.

Under pytest-xdist (``pytest -n 2``, the default of ``nox -s tests``) each
worker is a process of its own with its own session fixtures, and both would
build the site into the one build folder. So the build is made under a file
lock beside the build folder, and its outcome (the failure, the sources it
changed, the cold site's digests) is written next to the lock with the run's
id (``PYTEST_XDIST_TESTRUNUID``): a worker that takes the lock after another
built the site in the same run reads that outcome instead of building again
(:func:`once_per_run`; test_pdf.py prints the books the same way). A plain
``pytest`` run (no xdist) builds as before, without the lock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

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
_built: list[bool] = []  # this process has the outcome of the run's build


def _build() -> dict[str, Any]:
    """Build both books; the outcome the tests check, as JSON-ready data."""
    cold = not BUILD.exists() or not any(BUILD.iterdir())
    before = source_snapshot()
    result = run_build()
    log = result.stdout + result.stderr
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "build.log").write_text(log, encoding="utf-8")
    return {
        "failure": f"strict build failed:\n{log[-6000:]}" if result.returncode else "",
        "source_changes": changed_sources(before, source_snapshot()),
        "cold_site": digests(HTML) if cold and not result.returncode else {},
    }


def once_per_run(name: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``make()``'s outcome (JSON data), made by one pytest-xdist worker per run.

    The first worker to take the lock makes it and writes it down with the
    run's id; the others wait for the lock, then read it. Without xdist, made.
    The files are beside the build folder, not in it: an empty build folder
    means a cold build (docs/_build.xdist.* are ignored by git).
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return make()
    shared = BUILD.parent / f"{BUILD.name}.xdist.{name}.json"
    with FileLock(BUILD.parent / f"{BUILD.name}.xdist.{name}.lock"):
        if shared.is_file():
            noted = json.loads(shared.read_text(encoding="utf-8"))
            if noted["run"] == run:
                return dict(noted["outcome"])
        outcome = make()
        noted = {"run": run, "outcome": outcome}
        shared.write_text(json.dumps(noted), encoding="utf-8")
        return outcome


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Build both books strictly (cached execution makes a rebuild quick).

    ``D2L_USE_BUILT_SITE=1`` tests the site already in the build folder instead,
    for quick iterations on the tests themselves.
    """
    if os.environ.get("D2L_USE_BUILT_SITE") == "1":
        assert (HTML / "index.html").is_file(), f"no built site in {HTML}"
        return HTML
    if not _built:
        # Remembered, so that a failed build is not retried by every module.
        outcome = once_per_run("site", _build)
        if outcome["failure"]:
            _build_failure.append(outcome["failure"])
        source_changes.extend(outcome["source_changes"])
        cold_site.update(outcome["cold_site"])
        _built.append(True)
    if _build_failure:
        pytest.fail(_build_failure[0])
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
