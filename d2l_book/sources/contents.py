"""A book's table of contents, read from the toctrees of its ``index.md``.

The one definition of "the chapters" for the engine's callers and the tests:
the pages of the numbered toctree, in reading order.  Other toctrees (the
appendix, the reference pages) follow it in :func:`contents`.  Like
:mod:`d2l_book.sources.cells`, this needs neither Sphinx nor Jupyter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from d2l_book.settings import DOCS

__all__ = ["Toctree", "toctrees", "contents", "chapters"]

_TOCTREE = re.compile(r"^(`{3,})\{toctree\}[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Toctree:
    """One toctree: its caption, whether it is numbered, its pages in order."""

    caption: str
    numbered: bool
    pages: list[str]


def toctrees(book: str, docs: Path = DOCS) -> list[Toctree]:
    """The toctrees of ``docs/<book>/index.md``, in the order they appear."""
    if not isinstance(book, str):
        raise TypeError(f"book must be a str, got {type(book).__name__}")
    index = docs / book / "index.md"
    if not index.is_file():
        raise ValueError(f"{book!r} is not a book: {index} does not exist")
    trees = []
    for match in _TOCTREE.finditer(index.read_text(encoding="utf-8")):
        lines = [line.strip() for line in match.group(2).splitlines()]
        options = dict(
            (line[1:].partition(":")[0], line.partition(": ")[2])
            for line in lines
            if line.startswith(":")
        )
        pages = [line for line in lines if line and not line.startswith(":")]
        trees.append(Toctree(options.get("caption", ""), "numbered" in options, pages))
    if not trees:
        raise ValueError(f"{index} has no toctree")
    return trees


def contents(book: str, docs: Path = DOCS) -> list[str]:
    """Every page of the book's toctrees, in reading order."""
    return [page for tree in toctrees(book, docs) for page in tree.pages]


def chapters(book: str, docs: Path = DOCS) -> list[str]:
    """The book's chapters: the pages of its numbered toctree, in reading order."""
    return [
        page for tree in toctrees(book, docs) if tree.numbered for page in tree.pages
    ]
