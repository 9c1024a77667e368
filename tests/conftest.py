"""What every test shares: its layer's marker, and Matplotlib drawing off screen.

The tests are in four layers, one folder each, and each test is marked with
its folder's name, so that ``-m`` selects layers (README, "Run the tests"):

- ``package``: the runtime package ``d2l_prep`` alone; these run in an
  environment with only its own dependencies (``nox -s tests_package``), so
  neither this file nor anything under tests/package imports Sphinx, MyST-NB,
  the engine ``d2l_book`` or the book's sources (test_isolation.py checks it);
- ``sources``: the book's sources and the repository's code, without a build;
- ``engine``: the build engine, mostly on the small book of engine/engine_book.py;
- ``site``: the built site of both books (tests/site/conftest.py builds it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib

# No display in tests: draw with the Agg backend, before pyplot is imported.
matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

TESTS = Path(__file__).resolve().parent
LAYERS = ("package", "sources", "engine", "site")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the layer (the folder under tests/) it is in."""
    for item in items:
        parts = Path(item.path).resolve().relative_to(TESTS).parts
        if len(parts) < 2 or parts[0] not in LAYERS:
            raise pytest.UsageError(f"{item.nodeid}: a test belongs in one of {LAYERS}")
        item.add_marker(parts[0])


@pytest.fixture(autouse=True)
def _fresh_matplotlib() -> Iterator[None]:
    """Every test starts without figures and leaves rcParams as it found them."""
    plt.close("all")
    with matplotlib.rc_context():
        yield
    plt.close("all")
