"""The site as a reader meets it, in Chromium, with every other host blocked.

Serves the built site on 127.0.0.1 and drives Debian's Chromium through
Playwright.  Without a browser the suite is skipped on a developer's machine,
but under ``CI=true`` a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.book import BOOKS, pages
from tests.engine.engine_book import SmallBook
from tests.engine.engine_book import page as small_page

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
    # No host but the site's 127.0.0.1 resolves, not even an IP address: the
    # pages load offline or not at all.  Cheaper than routing every request
    # through Playwright (half a CPU-second a load); each request to another
    # host is still recorded (``open_page``).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
MOBILE_WIDTH = 390
# What MathJax 3 leaves where it could not typeset a formula (v2's class too).
MATH_ERRORS = "mjx-merror, [data-mjx-error], .MathJax_Error"


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
    """Serves the site as GitHub Pages does: a missing path gets ``/404.html``."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _QuietServer(http.server.ThreadingHTTPServer):
    """Says nothing when the browser drops a connection it no longer needs
    (a page closed mid-download); any other error is printed as before."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
    """Serve a built site on 127.0.0.1; yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _chromium() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    with _serve(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Any]:
    with _chromium() as chromium:
        yield chromium


@dataclass
class Visit:
    """What happened while a page loaded."""

    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)


# Every Content-Security-Policy violation, reported in the console with its source.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
  + ` at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""
THEMES = ("light", "dark")


def _record_console(visit: Visit, message: Any) -> None:
    if message.type != "error":
        return
    visit.console.append(message.text)
    if "CSP violation" in message.text or "Content Security Policy" in message.text:
        visit.csp.append(message.text)


@pytest.fixture
def open_page(browser: Any, site_url: str) -> Iterator[Any]:
    """Open a path of the site in a fresh context; note requests to other hosts
    (which Chromium cannot reach: CHROMIUM_ARGS)."""
    contexts = []

    def opener(
        path: str,
        theme: str | None = None,
        storage: dict[str, str] | None = None,
        **context_options: Any,
    ) -> tuple[Any, Visit]:
        """``theme``: furo's choice (light/dark), as if the reader had picked it;
        ``storage``: localStorage items the site finds from the first page on."""
        visit = Visit()
        if theme:
            context_options.setdefault("color_scheme", theme)
            storage = {**(storage or {}), "theme": theme}
        context = browser.new_context(**context_options)
        contexts.append(context)
        context.add_init_script(REPORT_CSP)
        for key, value in (storage or {}).items():
            context.add_init_script(f"localStorage.setItem({key!r}, {value!r})")
        own = urlsplit(site_url).netloc

        def note_foreign(request: Any) -> None:
            url = urlsplit(request.url)
            if url.scheme in {"http", "https"} and url.netloc != own:
                visit.foreign.append(request.url)

        context.on("request", note_foreign)
        page = context.new_page()
        page.on("console", lambda m: _record_console(visit, m))
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


@functools.cache
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # reads its bundled axe.min.js once


# Run by each page: start axe-core (WCAG 2.1 A/AA and best practice, its
# default rules, or only ``rules``), keeping the promise, so that several pages
# run it at once.
_START_AXE = """(rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  window.__d2lAxe = axe.run(document, options);
}"""
# The rules whose findings depend on colours, and so on the theme: a page's
# other rules see the same document in either theme (furo's themes are
# stylesheets), so a second theme needs only these.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def serious_violations(*pages: Any, rules: list[str] | None = None) -> list[list[str]]:
    """axe-core's serious and critical findings on each page, in order.

    ``rules``: only these axe rules (default: all of axe's default rules).
    axe-core takes seconds on a long chapter (its colour-contrast rule most of
    them); it runs on all the pages at once, each in its own context and so its
    own renderer process.
    """
    axe = _axe()
    for page in pages:
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.evaluate(axe.axe_script)
        page.evaluate(_START_AXE, rules)
    found = []
    for page in pages:
        results = page.evaluate("() => window.__d2lAxe")
        found.append(
            [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
                for v in results["violations"]
                if v["impact"] in {"serious", "critical"}
            ]
        )
    return found


def _assert_loaded_cleanly(page: Any, visit: Visit, theme: str) -> None:
    """Offline, within its CSP, its images loaded and its math typeset."""
    _typeset(page)
    assert page.evaluate("() => document.body.dataset.theme") == theme
    assert visit.foreign == [], f"requests to another host ({theme})"
    assert visit.failed == [], f"failed requests ({theme})"
    assert visit.csp == [], f"Content-Security-Policy violations ({theme})"
    assert visit.console == [], f"console errors ({theme})"
    broken = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    assert broken == [], f"images that did not load ({theme})"
    math = page.evaluate(
        "() => ({formulas: document.querySelectorAll('.math').length,"
        " rendered: document.querySelectorAll('.math mjx-container').length,"
        f" errors: document.querySelectorAll('{MATH_ERRORS}').length}})"
    )
    assert math["rendered"] == math["formulas"], f"formulas left unrendered: {math}"
    assert math["errors"] == 0, f"formulas with TeX errors ({theme}): {math}"


# Every formula of a page, solutions opened, that is wider than its column:
# a displayed one wider than the block that holds it, an inline one whose
# right edge passes the article's.  Each as "<excess> px: <formula text>".
_WIDE_MATH = """(slack) => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const right = document.querySelector('article').getBoundingClientRect().right;
  const wide = [];
  for (const math of document.querySelectorAll('mjx-container')) {
    const box = math.getBoundingClientRect();
    const text = (math.querySelector('mjx-assistive-mml') || math).textContent;
    const excess = math.getAttribute('display') === 'true'
      ? Math.max(math.scrollWidth, box.width) - math.parentElement.clientWidth
      : box.right - right;
    if (excess > slack) wide.push(`${Math.round(excess)} px: ${text.slice(0, 60)}`);
  }
  return wide;
}"""
MATH_SLACK = 2  # px of rounding allowed between MathJax's widths and the layout's


def _choose_theme(page: Any, theme: str) -> None:
    """What furo does when the reader picks ``theme``, and the system's choice too."""
    page.emulate_media(color_scheme=theme)
    page.evaluate(
        "(theme) => { localStorage.setItem('theme', theme);"
        " document.body.dataset.theme = theme; }",
        theme,
    )


@pytest.mark.parametrize(("book", "name"), ALL_PAGES)
def test_page_reads_cleanly_in_either_theme_and_on_a_phone(
    open_page: Any, book: str, name: str
) -> None:
    """One load of the page, then everything a reader meets there:

    - offline, within its CSP, its images loaded and its math typeset;
    - accessible: all of axe's rules in the light theme, then, in the dark
      one, the rules that depend on colours (COLOUR_RULES);
    - on a phone, the page does not scroll sideways and no formula, in the text
      or in a solution, is cut off or has to be scrolled sideways (long ones
      are broken over lines in the source); measured before the formula check
      opens the solutions;
    - its language switcher, tapped on the phone, opens its counterpart.

    (One load instead of one per theme and one for the phone: the themes are
    stylesheets, and the layout follows the viewport's width.)
    """
    page, visit = open_page(f"{book}/{name}.html", theme=THEMES[0])
    _assert_loaded_cleanly(page, visit, THEMES[0])
    assert serious_violations(page) == [[]], THEMES[0]
    background = "() => getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    for theme in THEMES[1:]:
        _choose_theme(page, theme)
        assert page.evaluate(background) != light, f"{theme}: the theme did not apply"
        assert serious_violations(page, rules=COLOUR_RULES) == [[]], theme
    page.set_viewport_size({"width": MOBILE_WIDTH, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= MOBILE_WIDTH, "the page scrolls sideways on a phone"
    assert page.evaluate(_WIDE_MATH, MATH_SLACK) == [], "formulas too wide for a phone"
    assert visit.csp == [] and visit.console == [], "errors after the theme changed"
    # Still on the phone: laying the page out for a desktop again cost up to
    # half a CPU-second, its solutions open.
    _assert_switcher_opens_the_counterpart(page, visit, book, name)


def _assert_switcher_opens_the_counterpart(
    page: Any, visit: Visit, book: str, name: str
) -> None:
    """The switcher's link leads to the counterpart, and the server has it.

    Waits only until the counterpart's response commits, not for its load:
    loading it would typeset its math again, and the counterpart is checked by
    its own test.
    """
    (other,) = [b for b in BOOKS if b != book]
    with page.expect_navigation(wait_until="commit") as navigation:
        page.locator(".language-switcher a").first.click()
    assert urlsplit(page.url).path == f"/{other}/{name}.html"
    response = navigation.value
    assert response is not None and response.status == 200, "no counterpart page"
    assert visit.csp == [], "Content-Security-Policy violations"


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
    assert visit.csp == [], "Content-Security-Policy violations on the search page"


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


@pytest.mark.parametrize("path", ["index.html", "404.html"])
def test_site_root_pages_are_clean(open_page: Any, path: str) -> None:
    """In either theme (each in its own context, axe on both at once)."""
    # The landing page opens a book on a first visit only: make this a later one
    # from the start (setting it after a first load raced with that redirect).
    later = {"d2l-prep-visited": "1"}
    opened = {theme: open_page(path, theme=theme, storage=later) for theme in THEMES}
    for theme, (page, visit) in opened.items():
        assert urlsplit(page.url).path == f"/{path}", theme
        assert visit.csp == [] and visit.console == [] and visit.failed == [], theme
    found = serious_violations(*(page for page, _ in opened.values()))
    assert dict(zip(THEMES, found, strict=True)) == {theme: [] for theme in THEMES}


@pytest.mark.parametrize("depth", ["", "en/", "zh/no/such/chapter/"])
def test_missing_page_shows_the_404_page(open_page: Any, depth: str) -> None:
    missing = f"{depth}missing.html"
    page, visit = open_page(missing)
    assert visit.failed == [f"{page.url}: HTTP 404"], "only the page itself is missing"
    assert visit.csp == []
    assert len(visit.console) == 1 and "404" in visit.console[0], visit.console
    assert page.evaluate("() => document.styleSheets.length") > 3, "unstyled"
    page.locator('article a[hreflang="zh-CN"]').click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/zh/index.html"


# A chapter with solutions that have outputs, light to load: no formulas.
LIGHT_CHAPTER = "data-manipulation"


@pytest.mark.parametrize("book", BOOKS)
def test_theme_switch_works_under_the_csp(open_page: Any, book: str) -> None:
    # Every page has the toggle; this one loads in half calculus's CPU time.
    page, visit = open_page(f"{book}/{LIGHT_CHAPTER}.html", color_scheme="light")
    seen = set()
    for _ in range(3):  # furo cycles auto → dark → light (or auto → light → dark)
        page.locator(".theme-toggle-content .theme-toggle").first.click()
        seen.add(page.evaluate("() => document.body.dataset.theme"))
    assert seen == {"auto", "light", "dark"}
    assert page.evaluate("() => localStorage.getItem('theme')") in seen
    assert visit.csp == [] and visit.console == []


@pytest.mark.parametrize("book", BOOKS)
def test_solution_dropdowns_open_under_the_csp(open_page: Any, book: str) -> None:
    page, visit = open_page(f"{book}/{LIGHT_CHAPTER}.html")
    solution = page.locator("details.solution").filter(has=page.locator(".cell_output"))
    first = solution.first
    assert not first.evaluate("d => d.open")
    first.locator("summary").click()
    assert first.evaluate("d => d.open")
    assert first.locator(".cell_output").first.is_visible()
    assert visit.csp == [] and visit.console == []


# Per image of a page: is it a graph, its natural and shown widths, and its
# output's visible width, scrolled width and tab index.
_FIGURES = """() => [...document.querySelectorAll('.cell_output img')].map(i => {
  const output = i.closest('.cell_output');
  return {graph: i.classList.contains('graph-figure'), natural: i.naturalWidth,
          shown: i.getBoundingClientRect().width, visible: output.clientWidth,
          scrolled: output.scrollWidth, tabIndex: output.tabIndex};
})"""
READABLE_GRAPH_WIDTH = 576  # 36rem in d2l-prep.css: graph labels stay legible


@pytest.mark.parametrize("book", BOOKS)
def test_graphs_stay_readable_on_a_phone(open_page: Any, book: str) -> None:
    """Wide graphs keep their labels legible and scroll inside their output,
    which the keyboard can reach; plots still shrink to fit."""
    phone = {"viewport": {"width": MOBILE_WIDTH, "height": 844}}
    graph_pages = []
    for name in ("graph-drawing", "computation-graphs"):
        page, _ = open_page(f"{book}/{name}.html", **phone)
        graph_pages.append(page)
        figures = page.evaluate(_FIGURES)
        assert figures and all(f["graph"] for f in figures), f"{name}: no class"
        for figure in figures:
            assert figure["shown"] >= min(figure["natural"], READABLE_GRAPH_WIDTH) - 1
            if figure["scrolled"] > figure["visible"]:
                assert figure["tabIndex"] == 0, (
                    "a scrolling graph the keyboard cannot reach"
                )
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= MOBILE_WIDTH
    assert any(f["scrolled"] > f["visible"] for f in figures), "no graph scrolls"
    assert serious_violations(*graph_pages) == [[], []]  # both at once
    page, _ = open_page(f"{book}/probability.html", **phone)
    plots = page.evaluate(_FIGURES)
    assert plots and not any(p["graph"] for p in plots)
    assert all(p["scrolled"] <= p["visible"] for p in plots), "a plot scrolls"


def test_math_tex_cannot_typeset_is_an_error_node(browser: Any, tmp_path: Path) -> None:
    """What the pages' math check looks for is there when a formula is wrong.

    A small book, built like the real one: an undefined command (which xelatex
    stops on) leaves a MathJax error node, since the site does not load
    MathJax's noundefined package; a correct formula beside it leaves none.
    """
    book = SmallBook(tmp_path)
    book.write("alpha.md", small_page("Alpha", "x = 1") + "\nRight: $x^2$.\n")
    bad = small_page("Beta", "y = 2") + "\nWrong: $\\undefinedmacro{x}$, $y$.\n"
    book.write("beta.md", bad)
    run = book.build()
    assert run.returncode == 0, run.stdout + run.stderr
    count = (
        f"() => [document.querySelectorAll('.math mjx-container').length,"
        f" document.querySelectorAll('{MATH_ERRORS}').length]"
    )
    found = {}
    # The module's browser: a second Playwright in the same thread is refused.
    with _serve(book.build_dir / "html") as url:
        tab = browser.new_page()
        for name in ("alpha", "beta"):
            tab.goto(f"{url}/en/{name}.html", wait_until="load")
            _typeset(tab)
            found[name] = tab.evaluate(count)
        tab.close()
    # Each page's prose holds a formula too (engine_book.page).
    assert found["alpha"] == [2, 0], found
    rendered, errors = found["beta"]
    assert rendered == 3 and errors >= 1, found


# What printing a chapter leaves out: the skip link, the navigation and every
# control (d2l-prep.css, @media print).
SCREEN_ONLY = (
    ".skip-to-content, .sidebar-drawer, .toc-drawer, .mobile-header, .back-to-top,"
    " .theme-toggle-container, .content-icon-container, .language-switcher,"
    " .notebook-download, button.copybtn, .related-pages"
)


@pytest.mark.parametrize("book", BOOKS)
def test_a_chapter_prints_without_controls_and_with_its_solutions(
    open_page: Any, book: str
) -> None:
    # Narrower than a sheet of paper, and than the widest graph.
    viewport = {"width": 500, "height": 800}
    page, visit = open_page(
        f"{book}/computation-graphs.html", theme="light", viewport=viewport
    )
    page.emulate_media(media="print")
    shown = page.evaluate(
        f"() => [...document.querySelectorAll({SCREEN_ONLY!r})]"
        ".filter(e => e.checkVisibility()).map(e => e.className)"
    )
    assert shown == [], "screen-only elements in print"
    assert page.locator("button.copybtn").count() > 0  # there, but not printed
    solution = page.locator("details.solution").first
    assert not solution.evaluate("d => d.open")
    assert solution.locator(".cell_output img").first.is_visible()
    widths = page.evaluate(
        "() => ({page: document.documentElement.clientWidth,"
        " scrolled: document.documentElement.scrollWidth,"
        " figures: [...document.querySelectorAll('.cell_output img')]"
        ".map(i => i.getBoundingClientRect().right)})"
    )
    assert widths["scrolled"] <= widths["page"], "the printed page is wider than paper"
    assert max(widths["figures"]) <= widths["page"]
    assert visit.console == []
