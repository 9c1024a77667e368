"""A cell that raises fails the build and names its page, unless it is tagged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from d2l_book.cells import read_code_cells
from tests.book import BOOKS, DOCS, ROOT, pages, run_build

pytestmark = pytest.mark.build

FAILING_CELL = (
    "\n```{code-cell} ipython3\nraise RuntimeError('this cell is broken')\n```\n"
)


def test_an_untagged_error_fails_the_build_naming_the_page(tmp_path: Path) -> None:
    # A throw-away copy with just the home page and one chapter, broken.
    docs = tmp_path / "docs"
    shutil.copytree(
        ROOT / "d2l_book",
        tmp_path / "d2l_book",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("_build", "*.md"))
    for book in BOOKS:
        for name in ("index.md", "data-manipulation.md"):
            shutil.copy(DOCS / book / name, docs / book / name)
        with (docs / book / "data-manipulation.md").open("a", encoding="utf-8") as page:
            page.write(FAILING_CELL)
    shutil.copytree(
        ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__")
    )
    result = run_build(tmp_path / "build", root=tmp_path)
    assert result.returncode != 0
    assert "docs/en/data-manipulation.md" in result.stderr
    assert "this cell is broken" in result.stderr
    assert not (tmp_path / "build" / "html" / "index.html").exists()


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize("book", BOOKS)
def test_intended_errors_are_shown(built_site: Path, book: str, page: str) -> None:
    tagged = [
        c
        for c in read_code_cells(DOCS / book / f"{page}.md")
        if "raises-exception" in c.tags
    ]
    html = BeautifulSoup(
        (built_site / book / f"{page}.html").read_text(encoding="utf-8"), "html.parser"
    )
    shown = html.select("div.cell.tag_raises-exception")
    assert len(shown) == len(tagged)
    for cell in shown:
        assert "Error" in cell.select_one("div.cell_output").get_text()
