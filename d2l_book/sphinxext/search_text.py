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


def _unsearched_math(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Keep TeX source out of the search index.

    Sphinx indexes a formula's TeX as words, so "left", "end" or "mathbf"
    found every page with ``\\left(``, ``\\end{align}`` or bold symbols.
    Sphinx's indexer skips a node with the class ``no-search``.
    """
    for formula in doctree.findall(
        lambda n: isinstance(n, nodes.math | nodes.math_block)
    ):
        if "no-search" not in formula["classes"]:
            formula["classes"].append("no-search")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _search_page_scripts)
    app.connect("doctree-resolved", _unsearched_math)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
