"""Offer each chapter as a Jupyter notebook the reader can download.

For every page with code cells, ``<page>.ipynb`` is written next to
``<page>.html``: the page's prose as markdown cells and its code as code cells
(no outputs: running it is the point), with stable cell ids so two builds
write the same file.  The page's top-of-page buttons link it.

Reading a page into a notebook is not free, and ``docs/build.py`` has already
read every page to look it up in the execution cache; it stores the
notebooks in ``_build/notebooks/``, keyed by the page's text, where both
books' Sphinx processes find them.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from sphinx.application import Sphinx

from cells import PageError
from layout import BUILD

FORMAT = "1"  # bump when the notebook layout changes


def cache_file(build_dir: Path, text: str) -> Path:
    """Where the notebook of a page with this text is stored."""
    digest = hashlib.sha256(f"{FORMAT}\n{text}".encode()).hexdigest()
    return build_dir / "notebooks" / f"{digest}.ipynb"


def notebook_text(nb: Any) -> str:
    """The downloadable form of a page's notebook, or "" when it has no code."""
    if not any(cell.cell_type == "code" for cell in nb.cells):
        return ""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("source_map", None)
    nb.metadata["language_info"] = {"name": "python"}
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    return str(nbformat.writes(nb)) + "\n"  # type: ignore[no-untyped-call]


def read_page(source: Path, text: str, extensions: set[str]) -> Any:
    """The notebook MyST-NB builds from a page's text (same cells and metadata).

    A front matter that is not YAML raises :class:`cells.PageError` naming the
    page and the line, instead of MyST-NB's chained tracebacks.
    """
    from myst_nb.core.read import (  # noqa: PLC0415
        MystMetadataParsingError,
        read_myst_markdown_notebook,
    )
    from myst_parser.config.main import MdParserConfig  # noqa: PLC0415

    config = MdParserConfig(enable_extensions=extensions)
    try:
        return read_myst_markdown_notebook(
            text, config=config, add_source_map=True, path=str(source)
        )
    except MystMetadataParsingError as error:
        raise PageError(_metadata_error(source, error)) from None


def _metadata_error(source: Path, error: Exception) -> str:
    """``page:line: …`` for a front matter (or cell options) YAML cannot read."""
    cause = error.__context__
    mark = getattr(cause, "problem_mark", None) or getattr(cause, "context_mark", None)
    line = f":{mark.line + 2}" if mark is not None else ""  # after the opening ---
    problem = getattr(cause, "problem", None) or str(error).splitlines()[0]
    return f"{_shown(source)}{line}: the front matter is not valid YAML: {problem}"


def _shown(source: Path) -> str:
    """``docs/en/page.md`` for a page of the book, else the path as given."""
    parts = source.parts
    return (
        "/".join(parts[-3:]) if len(parts) >= 3 and parts[-3] == "docs" else str(source)
    )


def store(build_dir: Path, text: str, read: Callable[[], Any]) -> str:
    """Store (once) and return the downloadable notebook of a page.

    ``read`` gives the page's notebook; it is called only when no notebook is
    stored yet for this text.
    """
    path = cache_file(build_dir, text)
    if path.exists():
        return path.read_text(encoding="utf-8")
    result = notebook_text(read())
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(result, encoding="utf-8")
    temporary.replace(path)
    return result


def prune(build_dir: Path, texts: list[str]) -> list[Path]:
    """Delete the stored notebooks of pages whose text is gone; the deleted paths.

    Every edit of a page stores a new notebook; a full build calls this with
    the text of every page, so the folder holds one notebook per page.
    """
    keep = {cache_file(build_dir, text) for text in texts}
    folder = build_dir / "notebooks"
    stale = sorted(set(folder.glob("*.ipynb")) - keep) if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    text = source.read_text(encoding="utf-8")
    build_dir = Path(app.config.d2l_build_dir)
    extensions = set(app.config.myst_enable_extensions)
    result = store(build_dir, text, lambda: read_page(source, text, extensions))
    if not result:
        return
    target = Path(app.outdir) / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != result:
        target.write_text(result, encoding="utf-8")
    context["notebook_url"] = f"{Path(pagename).name}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    # The build folder (set in docs/conf.py from docs/_ext/layout.py), not a
    # guess from the doctree folder: a plain ``sphinx-build`` with any output
    # folder keeps its notebooks in the build tree, never in the sources.
    app.add_config_value("d2l_build_dir", str(BUILD), "env", str)
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
