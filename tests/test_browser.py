"""The site as a reader meets it, in Chromium, with every other host blocked.

Serves the built site on 127.0.0.1 and drives Debian's Chromium through
Playwright.  Without a browser the suite is skipped on a developer's machine,
but under ``CI=true`` a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import BOOKS, pages

pytestmark = [pytest.mark.build, pytest.mark.browser]

CHROMIUM = Path(os.environ.get("D2L_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium calls home at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MOBILE_WIDTH = 390


def _browser_or_skip() -> Any:
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed"
    if reason is None and not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser suite cannot run under CI: {reason}")
        pytest.skip(reason)
    return sync_playwright


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What happened while a page loaded."""

    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Any, site_url: str) -> Iterator[Any]:
    """Open a path of the site in a fresh context that blocks other hosts."""
    contexts = []

    def opener(path: str, **context_options: Any) -> tuple[Any, Visit]:
        visit = Visit()
        context = browser.new_context(**context_options)
        contexts.append(context)
        own = urlsplit(site_url).netloc

        def route(route: Any) -> None:
            url = route.request.url
            if (
                urlsplit(url).scheme in {"http", "https"}
                and urlsplit(url).netloc != own
            ):
                visit.foreign.append(url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and visit.console.append(m.text))
        page.on("pageerror", lambda e: visit.console.append(str(e)))
        page.on("requestfailed", lambda r: visit.failed.append(f"{r.url}: {r.failure}"))
        page.on(
            "response",
            lambda r: (
                r.status >= 400 and visit.failed.append(f"{r.url}: HTTP {r.status}")
            ),
        )
        page.goto(f"{site_url}/{path}", wait_until="load")
        page.wait_for_load_state("networkidle")
        return page, visit

    yield opener
    for context in contexts:
        context.close()


def _typeset(page: Any) -> None:
    page.evaluate(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " ? MathJax.startup.promise : null"
    )


ALL_PAGES = [(book, page) for book in BOOKS for page in pages()]


@pytest.mark.parametrize(("book", "name"), ALL_PAGES)
def test_page_loads_cleanly_offline(open_page: Any, book: str, name: str) -> None:
    page, visit = open_page(f"{book}/{name}.html")
    _typeset(page)
    assert visit.foreign == [], "requests to another host"
    assert visit.failed == [], "failed requests"
    assert visit.console == [], "console errors"
    broken = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    assert broken == [], "images that did not load"
    math = page.evaluate(
        "() => ({formulas: document.querySelectorAll('.math').length,"
        " rendered: document.querySelectorAll('.math mjx-container').length,"
        " errors: document.querySelectorAll('mjx-merror, .MathJax_Error').length})"
    )
    assert math["rendered"] == math["formulas"], f"formulas left unrendered: {math}"
    assert math["errors"] == 0, f"formulas with TeX errors: {math}"


@pytest.mark.parametrize(("book", "name"), ALL_PAGES)
def test_switcher_opens_the_counterpart(open_page: Any, book: str, name: str) -> None:
    page, _ = open_page(f"{book}/{name}.html")
    (other,) = [b for b in BOOKS if b != book]
    page.locator(".language-switcher a").first.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == f"/{other}/{name}.html"


@pytest.mark.parametrize(
    ("book", "query", "expected"),
    [
        ("zh", "广播", "data-manipulation"),
        ("zh", "梯度", "calculus"),
        ("zh", "概率", "probability"),
        ("en", "broadcasting", "data-manipulation"),
        ("en", "gradient", "calculus"),
    ],
)
def test_search_finds_pages(
    open_page: Any, book: str, query: str, expected: str
) -> None:
    page, visit = open_page(f"{book}/search.html?q={query}")
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=15000)
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    assert any(expected in href for href in hrefs), hrefs
    assert visit.console == [], "console errors on the search page"


@pytest.mark.parametrize(("book", "name"), ALL_PAGES)
def test_no_sideways_scroll_on_a_phone(open_page: Any, book: str, name: str) -> None:
    page, _ = open_page(
        f"{book}/{name}.html", viewport={"width": MOBILE_WIDTH, "height": 844}
    )
    _typeset(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= MOBILE_WIDTH


def _figure_filters(page: Any) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('.cell_output img')]"
        ".map(i => getComputedStyle(i).filter)"
    )


@pytest.mark.parametrize("book", BOOKS)
def test_figures_follow_the_dark_theme(open_page: Any, book: str) -> None:
    page, _ = open_page(f"{book}/calculus.html", color_scheme="light")
    light = _figure_filters(page)
    assert light and all(f == "none" for f in light)
    page.evaluate("() => localStorage.setItem('theme', 'dark')")
    page.reload(wait_until="load")
    dark = _figure_filters(page)
    assert dark and all("invert" in f for f in dark)
    # Transparent figures: nothing opaque behind the plot to invert into a slab.
    backgrounds = page.evaluate(
        "async () => Promise.all([...document.querySelectorAll('.cell_output img')]"
        ".filter(i => i.src.endsWith('.svg')).map(async i => (await fetch(i.src)).text()))"
    )
    assert backgrounds
    for svg in backgrounds:
        assert (
            'id="patch_1"' not in svg
            or "fill: #ffffff" not in svg.split('id="patch_1"')[1][:300]
        )


def test_landing_page_follows_the_browser_language_once(open_page: Any) -> None:
    page, _ = open_page("index.html", locale="zh-CN")
    page.wait_for_url("**/zh/index.html")
    page.goto(page.url.replace("zh/index.html", "index.html"), wait_until="load")
    assert urlsplit(page.url).path == "/index.html", (
        "a second visit stays on the landing page"
    )
    assert page.locator('a[href="en/index.html"]').count() == 1


def test_landing_page_english_browser(open_page: Any) -> None:
    page, _ = open_page("index.html", locale="en-US")
    page.wait_for_url("**/en/index.html")
