"""The package's tests need only the package: no Sphinx, no engine, no book.

``nox -s tests_package`` runs tests/package in an environment holding only
d2l_prep's own dependencies, pytest and Hypothesis; an import of the book's
tooling here would fail there, or pass here only by accident. This scan reads
the imports of every module under tests/package and of the conftest.py files
pytest loads for it (tests/conftest.py), so it fails here first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_TESTS = Path(__file__).resolve().parent
LOADED = [*sorted(PACKAGE_TESTS.rglob("*.py")), PACKAGE_TESTS.parent / "conftest.py"]
# The book's build tooling and the book's own code (docs/, the test helpers of
# the other layers).
FORBIDDEN = {
    "sphinx",
    "myst_nb",
    "myst_parser",
    "d2l_book",
    "docs",
    "tests",
    "conftest",
}
ALLOWED = {"tests.package"}


def imported(source: str) -> set[str]:
    """The modules a module's source imports (relative imports as ``.name``)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def forbidden(name: str) -> bool:
    """Whether importing ``name`` reaches beyond the package and its dependencies."""
    if name.startswith("."):
        return False  # within tests/package
    if any(name == ok or name.startswith(ok + ".") for ok in ALLOWED):
        return False
    return name.split(".")[0] in FORBIDDEN


def test_the_scan_sees_every_kind_of_import() -> None:
    source = "import sphinx.util\nfrom d2l_book import settings\nfrom . import x\n"
    assert imported(source) == {"sphinx.util", "d2l_book", "."}
    assert [forbidden(n) for n in ("sphinx.util", "d2l_book", ".")] == [
        True,
        True,
        False,
    ]
    assert not forbidden("matplotlib.pyplot") and not forbidden("tests.package.x")
    assert forbidden("tests.book") and forbidden("docs.conf")


@pytest.mark.parametrize(
    "path", LOADED, ids=lambda p: p.relative_to(PACKAGE_TESTS.parent).as_posix()
)
def test_imports_only_the_package_and_its_dependencies(path: Path) -> None:
    names = imported(path.read_text(encoding="utf-8"))
    assert not sorted(filter(forbidden, names)), f"{path} imports the book's tooling"
