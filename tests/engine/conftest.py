"""The small book's fixtures, shared by the engine's tests (engine_book.py)."""

from __future__ import annotations

import pytest

from tests.engine.engine_book import SmallBook, built_book


@pytest.fixture
def built() -> SmallBook:
    """The small book after a good cold build (shared: see ``built_book``)."""
    return built_book()


@pytest.fixture
def book(built: SmallBook) -> SmallBook:
    """The same, by the name most tests give it: each test writes the pages it
    needs, and only those execute.  test_engine.py's ``book`` is another: a
    fresh copy, never built, for the tests that start from a cold build."""
    return built
