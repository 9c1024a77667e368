"""A cell tagged ``raises-exception`` shows its error on the page.

That an untagged error fails the build, naming its page and writing no site,
is test_engine.py's test_a_failing_cell_is_named_by_its_line_without_colour
(on the small book: a cold build of a real chapter checked nothing more).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from d2l_book.sources.cells import read_code_cells
from tests.book import BOOKS, DOCS, pages
from tests.site import parsed

pytestmark = pytest.mark.build


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize("book", BOOKS)
def test_intended_errors_are_shown(built_site: Path, book: str, page: str) -> None:
    tagged = [
        c
        for c in read_code_cells(DOCS / book / f"{page}.md")
        if "raises-exception" in c.tags
    ]
    html = parsed.tree(built_site / book / f"{page}.html")  # shared: read only
    shown = html.select("div.cell.tag_raises-exception")
    assert len(shown) == len(tagged)
    for cell in shown:
        assert "Error" in cell.select_one("div.cell_output").get_text()
