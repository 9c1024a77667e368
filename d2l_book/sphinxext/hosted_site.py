"""What the hosted site needs besides the books' pages.

- :func:`site_url`: the site's address, from ``D2L_SITE_URL`` (the one setting;
  ``docs/conf.py`` derives each book's ``html_baseurl`` from it).
- As a Sphinx extension (both books): sphinxext-opengraph's Open Graph meta,
  loaded without its social-card module (:func:`_setup_opengraph`);
  keyboard-reachable scrolling code blocks and graph figures, and heading
  levels for the sidebar captions (axe-core rules
  ``scrollable-region-focusable`` and ``aria-required-attr``), and a 404 page
  (rendered by sphinx-notfound-page) that links both books.
- :func:`finish_site`, called by ``d2l_book/build.py`` once both books are built:
  ``sitemap.xml`` and ``404.html`` at the site root, and the CSP of the root pages.

Why not sphinx-sitemap: it writes one sitemap per Sphinx process into that
book's own folder, and it pairs pages only for a single project translated
with gettext, whose folder names are its language codes. Here two books are
built from two source folders by two processes, and ``zh/`` holds the
``zh-CN`` book; the pairs are already declared by every page's
``<link rel="alternate" hreflang>`` tags (``bilingual.py``), so the root
sitemap is written from those, after both books exist.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from sphinx.application import Sphinx

from d2l_book import settings
from d2l_book.sphinxext.csp import add_policy

# The address of a local preview: python -m http.server -d docs/_build/html 8000
DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
# Pages Sphinx makes that are not part of the book's content.
NOT_CONTENT = {"404", "genindex", "search", "py-modindex"}
NOT_FOUND = "404"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def site_url() -> str:
    """The site's address, ending in ``/``: ``$D2L_SITE_URL`` or the default."""
    url = settings.site_url() or DEFAULT_SITE_URL
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"D2L_SITE_URL must be an absolute http(s) URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def not_found_body(site: str) -> str:
    """The 404 page's text: both books, linked by absolute paths."""
    root = urlsplit(site).path
    return (
        '<h1>Page not found · <span lang="zh-CN">找不到页面</span></h1>\n'
        "<p>This page does not exist (any more). "
        '<span lang="zh-CN">此页面不存在或已移动。</span></p>\n<ul>\n'
        f'<li><a href="{root}en/index.html" hreflang="en" lang="en">'
        "Preliminaries, in English</a></li>\n"
        f'<li><a href="{root}zh/index.html" hreflang="zh-CN" lang="zh-CN">'
        "预备知识（中文版）</a></li>\n"
        f'<li><a href="{root}index.html">d2l-prep</a></li>\n</ul>'
    )


_CAPTION = re.compile(r'(<p class="caption" role="heading")(?![^>]*aria-level)')
_PRE = re.compile(r"<pre(?=[\s>])(?![^>]*tabindex)")
# A cell output that shows a computation graph: on a phone the graph keeps a
# readable width and the output scrolls sideways (``graph-figure`` in
# d2l-prep.css). Other figures shrink to fit and never scroll. The image may
# sit in a numbered <figure> with its caption.
_GRAPH_OUTPUT = re.compile(
    r'(<div class="cell_output docutils container")'
    r'(?=>\s*(?:<figure\b[^>]*>\s*)?<img\b[^>]*\bclass="[^"]*\bgraph-figure\b)'
)


def _accessible_markup(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Caption headings get a level; code blocks and graph outputs (which
    scroll) get a tab stop."""
    for key in ("body", "furo_navigation_tree"):
        if isinstance(context.get(key), str):
            html = _CAPTION.sub(r'\1 aria-level="2"', context[key])
            html = _GRAPH_OUTPUT.sub(r'\1 tabindex="0"', html)
            context[key] = _PRE.sub('<pre tabindex="0"', html)
    if pagename == NOT_FOUND:
        # Found from any depth: the switcher leads to the other book's home
        # page by an absolute path, and a missing page has no counterpart.
        prefix = urlsplit(app.config.html_baseurl).path.rsplit("/", 2)[0]
        for other in context.get("other_books", []):
            other["url"] = f"{prefix}/{other['book']}/index.html"
        context["metatags"] = "\n".join(
            line
            for line in context.get("metatags", "").splitlines()
            if 'rel="alternate"' not in line
        )


class _Alternates(HTMLParser):
    """The ``hreflang`` → ``href`` pairs of a page's alternate links."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "alternate":
            if found.get("hreflang") and found.get("href"):
                self.links[str(found["hreflang"])] = str(found["href"])


def _page_alternates(path: Path, url: str) -> dict[str, str]:
    """The alternates a page's ``<head>`` links, as absolute URLs.

    Only the head is parsed: the links are there, and a long page's body
    took the sitemap 0.8 s of every build, no-op or not.
    """
    parser = _Alternates()
    with path.open(encoding="utf-8") as page:
        for line in page:
            parser.feed(line)
            if "</head>" in line:
                break
    return {lang: urljoin(url, href) for lang, href in parser.links.items()}


def write_sitemap(html: Path, books: tuple[str, ...], site: str) -> Path:
    """Write ``sitemap.xml``: every page of every book, with its alternates."""
    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    ElementTree.SubElement(
        ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url"), f"{{{SITEMAP_NS}}}loc"
    ).text = site
    for book in books:
        for path in sorted((html / book).glob("*.html")):
            if path.stem in NOT_CONTENT:
                continue
            url = f"{site}{book}/{path.name}"
            entry = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ElementTree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = url
            for lang, href in sorted(_page_alternates(path, url).items()):
                ElementTree.SubElement(
                    entry,
                    f"{{{XHTML_NS}}}link",
                    {"rel": "alternate", "hreflang": lang, "href": href},
                )
    ElementTree.indent(urlset)
    target = html / "sitemap.xml"
    ElementTree.ElementTree(urlset).write(
        target, encoding="utf-8", xml_declaration=True
    )
    return target


def finish_site(html: Path, books: tuple[str, ...]) -> None:
    """Root-level files, once the books are built: sitemap, 404, CSP."""
    built = tuple(book for book in books if (html / book / "index.html").is_file())
    write_sitemap(html, built, site_url())
    if built:
        # Its links are absolute paths (sphinx-notfound-page), so it works
        # wherever the server shows it.
        shutil.copy2(html / built[0] / f"{NOT_FOUND}.html", html / f"{NOT_FOUND}.html")
    for page in sorted(html.glob("*.html")):
        add_policy(page)


def _stylesheets_before_pages(app: Sphinx) -> None:
    """Put MyST-NB's stylesheet in ``_static`` before any page is written.

    MyST-NB copies it when the build finishes, and Sphinx links a stylesheet
    with a ``?v=<checksum>`` only if the file is already there: a cold build
    linked it bare, a rebuild with the suffix, so the pages a no-op build
    rewrites (genindex, search, 404) differed from a cold build's.
    """
    if app.builder.format == "html":
        from myst_nb.sphinx_ext import add_global_html_resources  # noqa: PLC0415

        (Path(app.builder.outdir) / "_static").mkdir(parents=True, exist_ok=True)
        add_global_html_resources(app, None)


def _setup_opengraph(app: Sphinx) -> None:
    """Load sphinxext-opengraph without its social-card module.

    The books make no social cards (``ogp_social_cards`` in docs/conf.py), yet
    importing sphinxext-opengraph imports its card maker, and with it
    Matplotlib and pyplot: 0.75 s of the start of every Sphinx process (one per
    book in each build, a third of a no-op's), for nothing. The extension has
    no switch for it (sphinx-doc/sphinxext-opengraph#145), so the card module
    is marked missing before the import, as if Matplotlib were not installed,
    and the line it prints then ("social cards will not be generated") is kept
    out of the build's log.
    """
    if "sphinxext.opengraph" not in sys.modules:
        sys.modules.setdefault("sphinxext.opengraph._social_cards", None)  # type: ignore[arg-type]
        with contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module("sphinxext.opengraph")
    app.setup_extension("sphinxext.opengraph")


def setup(app: Sphinx) -> dict[str, Any]:
    _setup_opengraph(app)
    app.connect("builder-inited", _stylesheets_before_pages)
    # after furo's handler, which renders the navigation tree
    app.connect("html-page-context", _accessible_markup, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
