"""In a translated book, say where each ``d2l_prep`` module is defined, in its language.

The generated modules' docstrings (``d2l_book/save.py``) are English and name
the English page by its path in the repository.  The package keeps them; on
a book in another language, the API page's ``automodule`` shows instead one
sentence from the interface catalogue (``docs/locales``) that links the
module's chapter in that book and names the section, as that book titles it,
holding the module's first ``#@save`` cell.  The docstring's English subject
is left out: the page's own prose above each module says it in the book's
language.  Function docstrings stay as written.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.locale import get_translation

from d2l_book.save import collect, saved_cells
from d2l_book.settings import ROOT

PACKAGE = "d2l_prep"


@cache
def module_origins(book: str, root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """Module name -> (page name, section title in ``book``) of its first cell."""
    pages = {cell.page for cell in collect(root)}
    origins: dict[str, tuple[str, str]] = {}
    for page in sorted(pages):
        name = Path(page).stem
        for cell in saved_cells(root / "docs" / book / f"{name}.md", page):
            origins.setdefault(cell.module, (name, cell.section))
    return origins


def origin_lines(book: str, module: str) -> list[str] | None:
    """The translated docstring of ``d2l_prep.<module>`` (reST), or None."""
    origin = module_origins(book).get(module)
    if origin is None:
        return None
    page, section = origin
    _ = get_translation("sphinx")
    text = _("Defined in the ``#@save %(module)s`` cells of %(chapter)s.")
    if section:
        text = _(
            "Defined in the ``#@save %(module)s`` cells of %(chapter)s, "
            "section \u201c%(section)s\u201d."
        )
    values = {"module": module, "chapter": f":doc:`{page}`", "section": section}
    return [str(text) % values, ""]


def _module_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    book = app.config.bilingual_book
    if what != "module" or book == "en" or not name.startswith(f"{PACKAGE}."):
        return
    translated = origin_lines(book, name.removeprefix(f"{PACKAGE}."))
    if translated is not None:
        lines[:] = translated


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("autodoc-process-docstring", _module_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
