"""A Content-Security-Policy for every page, computed from the page itself.

Each HTML page gets ``<meta http-equiv="Content-Security-Policy">`` as the
first element of its head: everything comes from the site itself
(``default-src 'self'``), and an inline script runs only if its SHA-256 hash is
listed, so the hashes are those of the scripts the page actually holds
(furo's theme bootstrap, MyST-NB's MathJax configuration, ...), computed from
the rendered file after Sphinx has written it.  No library adds such a meta
tag to a Sphinx site, so this extension does it.

Styles also need ``'unsafe-inline'``: furo hides its icon sprite with a
``style`` attribute, pandas tables carry ``style`` attributes, and MathJax 3
writes its CommonHTML stylesheet into a ``<style>`` element at run time.
A style cannot run code; scripts stay hash-only, and without ``'unsafe-eval'``
(``docs/_static/plural-rule.js`` replaces the one ``new Function`` of Sphinx).

Only the theme's and MathJax's scripts run: a page's own content (raw HTML in
its prose, a cell's HTML output, an SVG image) may hold no ``<script>``, inline
event handler or ``javascript:`` URL.  Such content fails the build, naming
the page, the line and the code cell; and scripts inside the page's
``<article>`` get no hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from d2l_book.sources.cells import read_code_cells

logger = logging.getLogger(__name__)

# What a page may use besides its own host: data: images are furo's icons
# (CSS masks) and MathJax's; nothing else leaves 'self'.
BASE_POLICY = (
    ("default-src", "'self'"),
    ("img-src", "'self' data:"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
)
_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<text>.*?)</script>", re.S | re.I)
_TYPE = re.compile(r"""\btype\s*=\s*["']?(?P<type>[^"'\s>]+)""", re.I)
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}
_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', re.I)
# The page's own content, written from its source; the theme's scripts are outside.
_ARTICLE = re.compile(r"<article\b.*?</article>", re.S | re.I)
# What makes a browser run content: a script element, an inline event handler
# (``onerror=``) on any element, a ``javascript:`` URL.
_CONTENT_SCRIPTS = (
    (re.compile(r"<script\b", re.I), "a <script> element"),
    (re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.I | re.S), "an inline event handler"),
    (
        re.compile(r"""\b(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
        "a javascript: URL",
    ),
)
# After <meta charset>, which must stay within the first 1024 bytes.
_HEAD = re.compile(r"<head[^>]*>\s*(?:<meta charset[^>]*>\n?)?", re.I)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of the page's inline scripts."""
    hashes = []
    for match in _SCRIPT.finditer(html):
        attrs = match["attrs"]
        kind = _TYPE.search(attrs)
        if re.search(r"\bsrc\s*=", attrs, re.I) or (
            kind and kind["type"].lower() not in _JS_TYPES
        ):
            continue  # loaded from a file ('self'), or data the browser never runs
        digest = hashlib.sha256(match["text"].encode("utf-8")).digest()
        source = f"'sha256-{base64.b64encode(digest).decode()}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def policy_for(html: str) -> str:
    """The Content-Security-Policy one page needs, and nothing more."""
    theme = _ARTICLE.sub("", _META.sub("", html))
    scripts = " ".join(["'self'", *inline_script_hashes(theme)])
    directives = [*BASE_POLICY, ("script-src", scripts)]
    return "; ".join(f"{name} {value}" for name, value in directives)


def add_policy(path: Path) -> None:
    """Write (or rewrite) the policy meta tag at the top of one page's head.

    It comes before every script and style, so the browser applies it to all.
    """
    html = path.read_text(encoding="utf-8")
    bare = _META.sub("", html)
    head = _HEAD.search(bare)
    if head is None:
        raise ValueError(f"{path} has no <head> to hold a Content-Security-Policy")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy_for(bare)}">\n'
    updated = bare[: head.end()] + meta + bare[head.end() :]
    if updated != html:
        path.write_text(updated, encoding="utf-8")


_WRITTEN: set[str] = set()  # pages this Sphinx process wrote (html-page-context)


def _note_page(app: Sphinx, pagename: str, *args: Any) -> None:
    _WRITTEN.add(pagename)


def _protect_pages(app: Sphinx, exc: Exception | None) -> None:
    """Give a policy to each page of the book: its documents and the pages
    written now (genindex, search, 404), not files someone else put there."""
    if exc is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for name in sorted(set(app.env.all_docs) | _WRITTEN):
        path = outdir / f"{name}.html"
        if path.is_file():
            add_policy(path)


def script_in(html: str) -> str:
    """What in this HTML would run code in the reader's browser, or ''."""
    for pattern, what in _CONTENT_SCRIPTS:
        if pattern.search(html):
            return what
    return ""


def _cell_at(source: str | Path, line: int) -> tuple[int, int] | None:
    """(code cell number, its fence line) when ``line`` of the page is in one."""
    try:
        cells = read_code_cells(source)
    except (OSError, ValueError):
        return None
    for number, cell in reversed(list(enumerate(cells, start=1))):
        if cell.line <= line:
            last = cell.line + len(cell.source.splitlines()) + 1
            return (number, cell.line) if line <= last else None
    return None


def _content(
    app: Sphinx, doctree: nodes.document
) -> Iterator[tuple[nodes.Element, str]]:
    """(node, text) of each piece of the page a browser could run.

    Raw HTML, and the SVG images (a cell's SVG output, an SVG the page
    shows): an SVG is served from the site, so a script or an event handler
    in it runs in the site's origin when the image is opened on its own.
    """
    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", ""):
            yield node, node.astext()
    for node in doctree.findall(nodes.image):
        uri = str(node.get("uri", ""))
        if uri.lower().endswith(".svg") and "://" not in uri:
            try:
                text = Path(app.srcdir, uri).read_text(
                    encoding="utf-8", errors="replace"
                )
            except OSError:
                continue
            yield node, text


def _line_of(node: nodes.Node | None) -> int:
    """The source line of ``node`` or of its nearest ancestor that has one."""
    while node is not None:
        if node.line:
            return int(node.line)
        node = node.parent
    return 0


def _refuse_content_scripts(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Warn (an error under -W) for each piece of content that would run a script."""
    for node, text in _content(app, doctree):
        what = script_in(text)
        if not what:
            continue
        line = _line_of(node)
        cell = (
            _cell_at(node.source or app.env.doc2path(docname), line) if line else None
        )
        svg = isinstance(node, nodes.image)
        if cell:
            line, where = cell[1], f"(code cell {cell[0]}) its {'SVG ' * svg}output"
        else:
            where = "an SVG image of the page" if svg else "the page's HTML"
        logger.warning(
            f"{where} holds {what}: pages run only the theme's and MathJax's scripts",
            location=(docname, line or None),
            type="d2l",
            subtype="script",
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-resolved", _refuse_content_scripts)
    # docs/_static/plural-rule.js: after doctools.js (200), before translations.js
    app.add_js_file("plural-rule.js", priority=300)
    app.connect("html-page-context", _note_page)
    app.connect("build-finished", _protect_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
