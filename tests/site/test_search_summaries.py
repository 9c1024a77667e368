"""Search results show each page's text as a reader sees it (docs/_static/search-text.js).

Sphinx cuts a result's summary out of the page's HTML, which holds the TeX
source MathJax typesets later and the code of the folded ``#@save`` cells.
These tests search, in Chromium, terms whose pages hold both, and read the
summaries the search page shows.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.site import test_browser

# The browser suite's fixtures: the built site served locally, Chromium, and
# pages opened with every other host blocked.
site_url = test_browser.site_url
browser = test_browser.browser
open_page = test_browser.open_page

pytestmark = [pytest.mark.build, pytest.mark.browser]

TEX = ("\\(", "\\)", "\\[", "\\]", "$$", "\\mathbf", "\\frac", "\\begin", "\\left")
# The labels of the folded cells' toggles (d2l_book/settings.py CODE_PROMPTS, nb_code_prompt_*).
TOGGLES = (
    "Show the complete definition (saved in d2l_prep)",
    "Hide the complete definition",
    "显示完整定义（保存在 d2l_prep 包中）",
    "隐藏完整定义",
)
# Every result that has no description ("(Python function, …)") gets a
# summary, fetched after the results are listed.
_SUMMARIES_DONE = """() => {
  const status = document.querySelector("#search-results p.search-summary");
  const items = [...document.querySelectorAll("#search-results li")];
  return status && status.textContent && items.length > 0
    && items.every((li) => li.querySelector("p.context, span"));
}"""


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def folded_lines(html: str) -> list[str]:
    """Lines of the page's folded cells that the page shows nowhere else."""
    page = BeautifulSoup(html, "html.parser")
    folded = page.select("details.hide")
    code = [pre.get_text() for d in folded for pre in d.select("pre")]
    lines = {_squeeze(line) for text in code for line in text.splitlines()}
    for d in folded:
        d.decompose()
    visible = _squeeze(page.get_text(" "))
    return sorted(s for s in lines if len(s) >= 12 and s not in visible)


@functools.cache
def _folded_lines_of(page: Path) -> tuple[str, ...]:
    """``folded_lines`` of a built page, found once: several results show it."""
    return tuple(folded_lines(page.read_text(encoding="utf-8")))


def test_folded_lines_skip_what_the_page_shows() -> None:
    html = (
        "<p>def shown(x): return x</p><details class='hide'><summary>Show"
        "</summary><pre>def shown(x): return x\ndef hidden(x): return x\nx</pre>"
        "</details>"
    )
    assert folded_lines(html) == ["def hidden(x): return x"]


def _summaries(page: Any) -> dict[str, str]:
    page.wait_for_function(_SUMMARIES_DONE, timeout=20000)
    found: dict[str, str] = {}
    for item in page.locator("#search-results li").all():
        summary = item.locator("p.context")
        if summary.count():
            href = item.locator("a").first.get_attribute("href") or ""
            found[href] = _squeeze(summary.text_content() or "")
    return found


@pytest.mark.parametrize(
    ("book", "query", "pages"),
    [
        ("en", "gradient", {"calculus.html", "linear-algebra.html"}),
        ("zh", "梯度", {"calculus.html", "linear-algebra.html"}),
        ("en", "Sequence", {"calculus.html", "probability.html"}),
        ("zh", "Sequence", {"calculus.html"}),
    ],
)
def test_summaries_show_no_tex_and_no_folded_code(
    open_page: Any, built_site: Path, book: str, query: str, pages: set[str]
) -> None:
    page, visit = open_page(f"{book}/search.html?q={query}")
    summaries = _summaries(page)
    assert pages <= {href.split("#")[0] for href in summaries}, summaries
    for href, summary in summaries.items():
        folded = _folded_lines_of(built_site / book / href.split("#")[0])
        assert [t for t in TEX if t in summary] == [], (href, summary)
        assert not any(t in summary for t in TOGGLES), (href, summary)
        leaked = [line for line in folded if line in summary]
        assert leaked == [], (href, summary)
    assert visit.console == [], "console errors on the search page"
    assert visit.csp == [], "Content-Security-Policy violations on the search page"
