"""Search results that read as prose: no TeX source, no folded saved code.

Sphinx's search page shows a summary of each result, cut from the page's
HTML text, and indexes a formula's TeX as words. This extension keeps
formulas out of the index and loads ``docs/_static/search-text.js`` on the
search page, which cleans the summaries.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def _search_page_scripts(app: Sphinx, pagename: str, *args: Any) -> None:
    """The search page's summaries drop TeX source and folded code.

    ``docs/_static/search-text.js`` wraps Sphinx's ``Search.htmlToText``
    (the customisation point searchtools.js leaves); it is deferred because
    furo writes searchtools.js after the page's scripts.  Added from
    html-page-context, it is loaded by the search page alone.
    """
    if pagename == "search":
        app.add_js_file("search-text.js", loading_method="defer")


def _formulas(doctree: nodes.document) -> list[nodes.Element]:
    """The page's formulas not already kept out of the index."""
    return [
        node
        for node in doctree.findall(
            lambda n: isinstance(n, nodes.math | nodes.math_block)
        )
        if "no-search" not in node["classes"]
    ]


def _unsearched_math(app: Sphinx) -> None:
    """Keep TeX source out of the search index, and the mark out of the pages.

    Sphinx indexes a formula's TeX as words, so "left", "end" or "mathbf"
    found every page with ``\\left(``, ``\\end{align}`` or bold symbols.
    Sphinx's indexer skips a node with the class ``no-search``; but a class
    given at ``doctree-resolved`` is also written into each formula's HTML
    (6.7 KB of the calculus page's 650 formulas), and no event comes between
    the indexing of a page and its writing. So the HTML builder's
    ``index_page`` is wrapped: the formulas carry the class while it runs.
    """
    builder = app.builder
    index_page = getattr(builder, "index_page", None)
    if index_page is None:  # not an HTML builder: no search index
        return

    def index_page_without_formulas(
        pagename: str, doctree: nodes.document, title: str
    ) -> None:
        formulas = _formulas(doctree)
        for formula in formulas:
            formula["classes"].append("no-search")
        try:
            index_page(pagename, doctree, title)
        finally:
            for formula in formulas:
                formula["classes"].remove("no-search")

    builder.index_page = index_page_without_formulas  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _search_page_scripts)
    app.connect("builder-inited", _unsearched_math)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
