"""Offer each chapter as a Jupyter notebook the reader can download.

For every page with code cells, ``<page>.ipynb`` is written next to
``<page>.html``: the page's prose as markdown cells and its code as code cells
(no outputs: running it is the point), with stable cell ids so two builds
write the same file.  The page's top-of-page buttons link it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig
from sphinx.application import Sphinx


def page_notebook(source: Path, extensions: set[str]) -> nbformat.NotebookNode | None:
    """The notebook of a page, or None when the page has no code."""
    nb = read_myst_markdown_notebook(
        source.read_text(encoding="utf-8"),
        config=MdParserConfig(enable_extensions=extensions),
        path=str(source),
    )
    if not any(cell.cell_type == "code" for cell in nb.cells):
        return None
    nb.metadata.pop("source_map", None)
    nb.metadata["language_info"] = {"name": "python"}
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    nbformat.validate(nb)
    return nb


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    nb = page_notebook(source, set(app.config.myst_enable_extensions))
    if nb is None:
        return
    target = Path(app.outdir) / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    context["notebook_url"] = f"{Path(pagename).name}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
