"""The chapters teach; the package engineers: little visible #@save code per page.

A reader of a chapter sees at most ``LIMIT`` lines of ``#@save`` code without
opening anything. The complete definitions stay in the book (one source for
the package) but live in folded cells (``hide-input``) or in dropdowns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from d2l_book.sources.cells import read_code_cells
from d2l_book.sources.contents import contents
from tests.book import BOOKS, DOCS
from tests.site import parsed

pytestmark = pytest.mark.build

LIMIT = 40
MARKER = "#@save"
# Every page of the contents: the chapters, the appendix on drawing graphs
# (it holds #@save code too) and the reference pages (they hold none).
PAGES = contents("en")


def saved_cell_inputs(tree: BeautifulSoup) -> list[Tag]:
    """The input blocks of the page's code cells that hold ``#@save`` code."""
    return [
        block
        for block in tree.select("div.cell div.cell_input")
        if MARKER in block.get_text()
    ]


def visible_saved_lines(tree: BeautifulSoup) -> int:
    """Lines of ``#@save`` code shown without opening a fold or a dropdown."""
    return sum(
        len(block.get_text().strip("\n").splitlines())
        for block in saved_cell_inputs(tree)
        if block.find_parent("details") is None
    )


def test_the_count_skips_folded_cells_and_dropdowns() -> None:
    shown = '<div class="cell"><div class="cell_input"><pre>#@save m\nx = 1\n</pre></div></div>'
    folded = (
        f'<div class="cell"><details class="hide above-input">{shown}</details></div>'
    )
    dropdown = f'<details class="sd-dropdown"><div>{shown}</div></details>'
    other = '<div class="cell"><div class="cell_input"><pre>y = 2\n</pre></div></div>'
    assert visible_saved_lines(parsed.parse(shown + other)) == 2
    assert visible_saved_lines(parsed.parse(folded + dropdown + other)) == 0


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("book", BOOKS)
def test_at_most_40_visible_lines_of_saved_code(
    built_site: Path, book: str, page: str
) -> None:
    tree = parsed.tree(built_site / book / f"{page}.html")  # shared: read only
    saved = [
        c for c in read_code_cells(DOCS / book / f"{page}.md") if MARKER in c.source
    ]
    # Every saved cell of the page is found on the site, so none escapes the count.
    assert len(saved_cell_inputs(tree)) == len(saved)
    visible = visible_saved_lines(tree)
    assert visible <= LIMIT, (
        f"{book}/{page}: {visible} lines of #@save code are visible (limit {LIMIT}); "
        "fold the complete definitions (tag the cells hide-input)"
    )
