"""Sphinx numbers the figures from each page's outline, not its whole doctree.

The books number figures per chapter (``numfig``).  After every read, even
of nothing, Sphinx numbers them all again
(``TocTreeCollector.assign_figure_numbers``): it unpickles every page's
doctree to walk it, 2.8 MB of pickles per book, 0.4 s of each Sphinx run,
a no-op or a one-page edit.  The walk looks only at sections, toctrees and
the nodes a domain numbers (figures, tables, captioned code blocks).  So when
a page has been read, this extension keeps its outline in the environment:
those nodes (whole) and the elements that contain them, in document order;
and while Sphinx numbers the figures, ``env.get_doctree`` gives a page's
outline.  The numbers are the same (``tests/site/test_figure_outlines.py``
compares each outline with its doctree).  Sphinx has no setting or event to
give the walk other doctrees, hence the wrapper around its method.

Resolving a ``{numref}`` reads the doctree of the page it points to, in the
same way: that read is kept, for the pages written and their notebooks.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.domains.std import StandardDomain
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors.toctree import TocTreeCollector

OUTLINES = "d2l_figure_outlines"  # the environment's attribute: docname -> outline


def _numbered(env: BuildEnvironment, node: nodes.Element) -> bool:
    """Whether the walk numbers ``node``: its ``get_figtype``, in the same order."""
    for domain in env.domains.sorted():
        figtype = domain.get_enumerable_node_type(node)
        if isinstance(domain, StandardDomain) and not domain.get_numfig_title(node):
            continue  # uncaptioned
        if figtype:
            return True
    return False


def outline(env: BuildEnvironment, doctree: nodes.Element) -> nodes.Element:
    """The sections, toctrees and numbered nodes of ``doctree``, nested as there.

    (A domain numbers sections too, but the walk opens them: their outline.)
    """

    def kept(node: nodes.Element) -> nodes.Element | None:
        if isinstance(node, addnodes.toctree) or (
            not isinstance(node, nodes.section) and _numbered(env, node)
        ):
            return node.deepcopy()
        children = [
            found
            for child in node.children
            if isinstance(child, nodes.Element) and (found := kept(child)) is not None
        ]
        if not children and not isinstance(node, nodes.section):
            return None
        copy = node.copy()
        copy.extend(children)
        return copy

    root = nodes.Element()
    for child in doctree.children:
        if isinstance(child, nodes.Element) and (found := kept(child)) is not None:
            root.append(found)
    for node in root.findall():
        node.document = None  # a copy keeps its document: kept, the whole doctree
    return root


def _keep_outline(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    outlines = getattr(env, OUTLINES, None)
    if outlines is None:
        outlines = {}
        setattr(env, OUTLINES, outlines)
    outlines[env.docname] = outline(env, doctree)


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, OUTLINES, {}).pop(docname, None)


def _merge(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    theirs = getattr(other, OUTLINES, {})
    mine = getattr(env, OUTLINES, None)
    if mine is None:
        mine = {}
        setattr(env, OUTLINES, mine)
    mine.update({name: theirs[name] for name in docnames if name in theirs})


_SPHINX_ASSIGN = TocTreeCollector.assign_figure_numbers


def _assign_from_outlines(self: TocTreeCollector, env: BuildEnvironment) -> list[str]:
    """Sphinx's own numbering, each page's outline standing for its doctree."""
    outlines: dict[str, nodes.Element] = getattr(env, OUTLINES, {})
    doctree = env.get_doctree

    def get_doctree(docname: str) -> Any:
        return outlines[docname] if docname in outlines else doctree(docname)

    env.get_doctree = get_doctree  # type: ignore[method-assign]
    try:
        return _SPHINX_ASSIGN(self, env)
    finally:
        del env.get_doctree


_SPHINX_NUMREF = StandardDomain._resolve_numref_xref


def _numref_reading_once(
    self: StandardDomain,
    env: BuildEnvironment,
    fromdocname: str,
    builder: Any,
    *args: Any,
) -> Any:
    """Sphinx's own ``{numref}`` resolution, each target page's doctree read once.

    Sphinx unpickles the whole doctree of the page a ``{numref}`` points to,
    each time, only to look its target up: 75 ms for a chapter, three times
    for a page with three references (and again for its notebook).  The
    doctrees do not change once written, so the builder keeps each one read.
    """
    read: dict[str, Any] = builder.__dict__.setdefault("_d2l_numref_doctrees", {})
    doctree = env.get_doctree

    def get_doctree(docname: str) -> Any:
        if docname not in read:
            read[docname] = doctree(docname)
        return read[docname]

    env.get_doctree = get_doctree  # type: ignore[method-assign]
    try:
        return _SPHINX_NUMREF(self, env, fromdocname, builder, *args)
    finally:
        del env.get_doctree


def setup(app: Sphinx) -> dict[str, Any]:
    # Last of the doctree-read handlers: the outline of the doctree Sphinx keeps.
    app.connect("doctree-read", _keep_outline, priority=990)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    TocTreeCollector.assign_figure_numbers = _assign_from_outlines  # type: ignore[method-assign]
    StandardDomain._resolve_numref_xref = _numref_reading_once  # type: ignore[method-assign,assignment]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
