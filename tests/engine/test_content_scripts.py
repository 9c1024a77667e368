"""A page's content runs no script: only the theme's and MathJax's do.

A ``<script>``, an inline event handler or a ``javascript:`` URL in a page's
raw HTML or in a cell's HTML output fails the build, naming the page, the
line and the cell; and the Content-Security-Policy hashes no script inside
the page's ``<article>``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from d2l_book.sphinxext.csp import policy_for, script_in
from tests.engine.engine_book import SmallBook, page

pytestmark = pytest.mark.build

OUTPUT_CELL = (
    "from IPython.display import HTML\nHTML('<b>x</b><script>alert(1)</script>')"
)
PROSE = '\n<p>A picture: <img src="x" onerror="alert(2)"></p>\n'


def test_scripts_in_content_fail_the_build_naming_page_line_and_cell(
    tmp_path: Path,
) -> None:
    book = SmallBook(tmp_path)
    book.write("alpha.md", page("Alpha", "print(1)", OUTPUT_CELL) + PROSE)
    result = book.build()
    assert result.returncode != 0
    said = result.stdout + result.stderr
    fence = 16  # the second cell's fence in the page `page()` writes
    for name in ("en", "zh"):
        shown = f"docs/{name}/alpha.md:{fence}: WARNING: (code cell 2) its output"
        assert shown in said, said
        assert (
            f"docs/{name}/alpha.md:21: WARNING: the page's HTML holds an inline event handler"
            in said
        )


SVG_CELL = (
    "from IPython.display import SVG\n"
    'SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    '<circle r="4"/></svg>\')'
)


def test_a_script_in_an_svg_output_fails_the_build(tmp_path: Path) -> None:
    """An SVG output becomes a file of the site, shown by <img>: opened on
    its own, its script would run in the site's origin."""
    book = SmallBook(tmp_path)
    book.write("alpha.md", page("Alpha", "print(1)", SVG_CELL))
    result = book.build()
    assert result.returncode != 0
    said = result.stdout + result.stderr
    for name in ("en", "zh"):
        shown = f"docs/{name}/alpha.md:16: WARNING: (code cell 2) its SVG output holds"
        assert shown in said, said


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<SCRIPT src='x.js'></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<svg onload=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<a href=' javascript:alert(1)'>x</a>",
    ],
)
def test_script_in_finds_what_runs(html: str) -> None:
    assert script_in(html)


@pytest.mark.parametrize(
    "html",
    [
        "<table><tr><td>1</td></tr></table>",
        '<p class="one">on the line</p>',
        '<a href="https://example.org/javascript">js</a>',
        "<p>Description: Monday</p>",
    ],
)
def test_script_in_lets_plain_html_through(html: str) -> None:
    assert script_in(html) == ""


def test_the_policy_hashes_no_script_of_the_article() -> None:
    theme = "<script>document.body.dataset.theme = 'auto'</script>"
    content = "<article role='main'><script>alert(1)</script></article>"
    with_content = policy_for(
        f"<html><head></head><body>{theme}{content}</body></html>"
    )
    alone = policy_for(f"<html><head></head><body>{theme}</body></html>")
    assert with_content == alone
    assert "'sha256-" in alone
