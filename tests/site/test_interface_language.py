"""The Chinese book's interface speaks Chinese: no English around the article.

Opens Chinese pages in Chromium (the fixtures of ``test_browser.py``) and
reads what a reader sees or hears outside the article: the text of the
header, sidebars, footer and previous/next links, the search status line
after a finished search, and every ``aria-label``, ``title``, ``placeholder``
and ``alt``, including the icons' SVG titles and the page's title, and the
labels, titles and tooltips of the article (folded cells, permalinks, copy
buttons).  Code and
known proper names aside, no two English words may follow each other there.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from d2l_book.sphinxext import api_origin
from tests.book import DOCS
from tests.site import test_browser
from tests.site.test_browser import (
    COLOUR_RULES,
    MOBILE_WIDTH,
    THEMES,
    serious_violations,
)

# The browser suite's fixtures: the built site served locally, Chromium, and
# pages opened with every other host blocked.
site_url = test_browser.site_url
browser = test_browser.browser
open_page = test_browser.open_page

pytestmark = [pytest.mark.build, pytest.mark.browser]

# Names that stay as they are in any language.
PROPER_NAMES = (
    "d2l-prep",
    "d2l_prep",
    "@pradyunsg",
    "PyTorch",
    "Sphinx",
    "Furo",
    "GitHub",
    "PDF",
    "JavaScript",
    "English",
    "API",
    ".ipynb",
)
# Single words of Sphinx's and furo's interface, which the rule above misses.
UI_WORDS = re.compile(
    r"\b(Next|Previous|Home|Contents|Menu|Expand|Search|Searching|Copyright"
    r"|Download|Index|Error)\b"
)
# Two or more English words in a row (joined by spaces, slashes, commas...).
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[\s/,:;&'’-]+[A-Za-z]{2,})+")

# Everything outside the article (and outside code) a reader can see or
# hear, as a list of strings.  On the search page the title and status line
# of the results belong to the interface, the results themselves do not.
_INTERFACE_TEXT = """() => {
  const root = document.documentElement.cloneNode(true);
  const found = [document.title];
  // Labels, titles and tooltips inside the article are interface too.
  for (const element of root.querySelectorAll('article *')) {
    for (const name of ['aria-label', 'title', 'data-tooltip']) {
      const value = element.getAttribute(name);
      if (value) found.push(value);
    }
  }
  for (const article of root.querySelectorAll('article')) {
    const keep = [...article.querySelectorAll('#search-results > h2, .search-summary')];
    article.replaceChildren(...keep);
  }
  root.querySelectorAll('script, style, noscript, pre, code').forEach(e => e.remove());
  found.push(root.querySelector('body').textContent);
  for (const element of root.querySelectorAll('*')) {
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      const value = element.getAttribute(name);
      if (value) found.push(value);
    }
  }
  root.querySelectorAll('svg title').forEach(t => found.push(t.textContent));
  return found;
}"""


def english_runs(texts: list[str]) -> list[str]:
    """English left once proper names are removed: runs of two or more
    words, and the interface's single words."""
    runs = []
    for text in texts:
        for name in PROPER_NAMES:
            text = text.replace(name, "|")
        runs += [" ".join(run.split()) for run in ENGLISH_RUN.findall(text)]
        runs += UI_WORDS.findall(text)
    return sorted(set(runs))


def test_english_runs_are_found() -> None:
    assert english_runs(["Made with Sphinx and @pradyunsg's Furo"]) == ["Made with"]
    assert english_runs(["切换配色：Light / Dark / Auto color theme"]) == [
        "Light / Dark / Auto color theme"
    ]
    assert english_runs(["上一页", "Next", "首页"]) == ["Next"]
    assert english_runs(["d2l-prep：预备知识", "English", "版权所有 © 2026"]) == []


def _finished_search(page: Any) -> None:
    page.locator("#search-results .search-summary").wait_for(timeout=15000)


PAGES = {
    "chapter": ("zh/calculus.html", None),
    "api": ("zh/api.html", None),
    "search": ("zh/search.html?q=梯度", _finished_search),
}
VIEWPORTS = {"desktop": 1280, "phone": MOBILE_WIDTH}


@pytest.mark.parametrize("kind", PAGES)
def test_zh_interface_has_no_english(open_page: Any, kind: str) -> None:
    """In either theme, on a desktop and on a phone: one load of the page, the
    theme and the width then changed as a reader changes them (the themes are
    stylesheets, the layout follows the viewport)."""
    path, wait = PAGES[kind]
    page, visit = open_page(
        path, theme=THEMES[0], viewport={"width": VIEWPORTS["desktop"], "height": 900}
    )
    if wait:
        wait(page)
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    for theme in THEMES:
        test_browser._choose_theme(page, theme)
        for viewport, width in VIEWPORTS.items():
            page.set_viewport_size({"width": width, "height": 900})
            shown = english_runs(page.evaluate(_INTERFACE_TEXT))
            assert shown == [], (theme, viewport)
        if kind == "search":  # test_browser.py runs axe on the books' pages
            rules = None if theme == THEMES[0] else COLOUR_RULES
            assert serious_violations(page, rules=rules) == [[]], theme
    assert visit.console == [] and visit.csp == []


def test_zh_search_status_is_chinese(open_page: Any) -> None:
    """Sphinx 8's plural status line comes from the merged JavaScript catalogue."""
    page, _ = open_page("zh/search.html?q=梯度")
    _finished_search(page)
    status = page.locator("#search-results .search-summary").inner_text()
    count = page.locator("#search-results li").count()
    assert status == f"搜索完成，找到 {count} 个匹配的页面。"


def test_zh_api_page_names_its_chapters(open_page: Any) -> None:
    """Each module says, in Chinese, which page of this book defines it."""
    page, _ = open_page("zh/api.html")
    origins = page.evaluate(
        "() => [...document.querySelectorAll('article [id^=\"module-d2l_prep.\"]')]"
        ".map(p => ({text: p.textContent,"
        " links: [...p.querySelectorAll('a')].map(a => a.getAttribute('href'))}))"
    )
    # One per module the API page documents, each a module some page saves
    # (validation.py, private helpers only, has no entry of its own).
    documented = re.findall(
        r"^\.\. automodule:: d2l_prep\.(\w+)$",
        (DOCS / "zh" / "api.md").read_text(encoding="utf-8"),
        flags=re.M,
    )
    assert set(documented) <= set(api_origin.module_origins("zh")), documented
    assert len(origins) == len(documented), origins
    for origin in origins:
        assert origin["text"].startswith("由") and "代码单元定义" in origin["text"]
        (link,) = origin["links"]
        assert "/" not in link and link.endswith(".html"), link
    text = page.locator("article").inner_text()
    assert "docs/en/" not in text and "Defined in" not in text
