"""Numbered figures: lettered appendices, and SVG figures without metadata.

The books number figures per chapter ("Figure 4.2" / "图 4.2", ``numfig`` in
``docs/conf.py``). Sphinx numbers the figures of pages outside the numbered
toctree from 1 across those pages, while the PDF numbers them after the last
chapter; this extension letters those pages A, B, C in both editions. It also
drops Matplotlib's metadata block from the HTML copies of SVG figures.
"""

from __future__ import annotations

import copy
import re
import string
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx


# The pages after the numbered chapters (appendix, glossary, API) are lettered
# appendices, A, B, C, in both editions: the PDF starts LaTeX's \appendix before
# the first of them, and the HTML numbers their figures A.1, C.2 (Sphinx would
# count them on from 1 across those pages, unlike the PDF).
def appendices(env: Any) -> list[str]:
    """The pages of the root toctrees that no numbered toctree numbers, in order."""
    root = env.config.root_doc
    includes = env.toctree_includes.get(root, [])
    return [doc for doc in includes if not env.toc_secnumbers.get(doc)]


def _sphinx_figure_numbers(app: Any, env: Any) -> list[str]:
    """Before Sphinx numbers the figures: put back the numbers it gave last time,
    so that an unchanged appendix page does not look renumbered (and rewritten)."""
    env.toc_fignumbers.update(getattr(env, "d2l_sphinx_fignumbers", {}))
    return []


def _letter_appendix_figures(app: Any, env: Any) -> list[str]:
    """After Sphinx numbers the figures: (letter, n) on the appendix pages.

    Returns the pages whose letters changed, to be written again.
    """
    before = getattr(env, "d2l_lettered_fignumbers", {})
    env.d2l_sphinx_fignumbers, env.d2l_lettered_fignumbers = {}, {}
    for letter, doc in zip(string.ascii_uppercase, appendices(env), strict=False):
        numbers = env.toc_fignumbers.get(doc)
        if not numbers:
            continue
        env.d2l_sphinx_fignumbers[doc] = copy.deepcopy(numbers)
        for figures in numbers.values():
            ordered = sorted(figures, key=figures.__getitem__)
            figures.update({key: (letter, n) for n, key in enumerate(ordered, 1)})
        env.d2l_lettered_fignumbers[doc] = copy.deepcopy(numbers)
    lettered = env.d2l_lettered_fignumbers
    return [doc for doc in lettered if lettered[doc] != before.get(doc)]


def _latex_appendix(app: Any, doctree: Any, docname: str) -> None:
    """In the PDF's one document: \\appendix before the first appendix page."""
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    first = set(appendices(app.env)[:1])
    for start in doctree.findall(addnodes.start_of_file):
        if start["docname"] in first:
            # Sphinx numbers figures by \arabic{chapter}: by the letter here.
            tex = r"\appendix\renewcommand{\thefigure}{\thechapter.\arabic{figure}}"
            raw = nodes.raw("", tex, format="latex")
            start.parent.insert(start.parent.index(start), raw)
            return


# Matplotlib writes a Dublin Core block into every SVG figure (its own name and
# version, a date that SOURCE_DATE_EPOCH sets to 1970): half a kilobyte per
# figure that no reader sees. The HTML copies of the figures lose it.
_SVG_METADATA = re.compile(rb"\s*<metadata>.*?</metadata>", re.DOTALL)


def _strip_svg_metadata(app: Any, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in sorted(Path(app.outdir, "_images").glob("*.svg")):
        data = path.read_bytes()
        lean = _SVG_METADATA.sub(b"", data, count=1)
        if lean != data:
            path.write_bytes(lean)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-get-updated", _sphinx_figure_numbers, priority=100)
    app.connect("env-get-updated", _letter_appendix_figures, priority=900)
    app.connect("doctree-resolved", _latex_appendix)
    app.connect("build-finished", _strip_svg_metadata)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
