"""Sphinx numbers figures from each page's outline (d2l_book/sphinxext/figure_outlines.py):
the outline holds, in the same order and nesting, everything the numbering walks."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from docutils import nodes
from sphinx import addnodes

from d2l_book.sphinxext.figure_outlines import OUTLINES
from tests.book import BOOKS, BUILD, pages

pytestmark = pytest.mark.build


def _has(node: nodes.Element, kind: type[nodes.Element]) -> bool:
    return any(isinstance(child, kind) for child in node.children)


def _numbered(node: nodes.Element) -> bool:
    """The nodes Sphinx's domains number here (figure, table, code, equation)."""
    if isinstance(node, nodes.figure):
        return _has(node, nodes.caption)
    if isinstance(node, nodes.table):
        return _has(node, nodes.title)
    if isinstance(node, nodes.container):
        return bool(node.get("literal_block")) and _has(node, nodes.caption)
    return isinstance(node, nodes.math_block)


def walked(tree: nodes.Element, within: tuple[str, ...] = ()) -> list[Any]:
    """What the numbering sees, in order: sections, toctrees, numbered nodes,
    each with the sections it is in."""
    seen: list[Any] = []
    for node in tree.children:
        if isinstance(node, nodes.section):
            seen.append(("section", within, tuple(node["ids"])))
            seen += walked(node, (*within, node["ids"][0]))
            continue
        if isinstance(node, addnodes.toctree):
            seen.append(("toctree", within, tuple(map(tuple, node["entries"]))))
        elif isinstance(node, nodes.Element) and _numbered(node):
            seen.append((node.tagname, within, tuple(node["ids"]), node.astext()))
        if isinstance(node, nodes.Element):
            seen += walked(node, within)
    return seen


@pytest.mark.parametrize("book", BOOKS)
def test_each_outline_holds_what_the_numbering_walks(
    built_site: Path, book: str
) -> None:
    doctrees = BUILD / "doctrees" / book
    env = pickle.loads((doctrees / "environment.pickle").read_bytes())
    outlines = getattr(env, OUTLINES)
    assert sorted(outlines) == sorted(pages()), "a page has no outline"
    figures = 0
    for name, outline in outlines.items():
        doctree = pickle.loads((doctrees / f"{name}.doctree").read_bytes())
        assert walked(outline) == walked(doctree), name
        figures += sum(isinstance(n, nodes.figure) for n in outline.findall())
    assert figures > 0, "no figure in any outline: nothing was compared"
    # An outline is the walk's part only: a small fraction of the doctrees.
    whole = sum(p.stat().st_size for p in doctrees.glob("*.doctree"))
    assert len(pickle.dumps(outlines)) < whole / 10
