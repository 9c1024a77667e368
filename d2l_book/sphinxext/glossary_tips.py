"""Glossary at a glance: every ``{term}`` link carries its definition's first sentence.

When a page is read, the definitions of its ``{glossary}`` directive are stored
(by anchor) on the environment; when a page is written, each resolved term link
(a reference around Sphinx's ``std-term`` inline) gets a ``reftitle`` that the
HTML writer renders as ``title="…"``: the browser shows it on hover and on a long
press, offline, in the page's language.  The glossary's own name in the other
language ("Chinese: 张量." / "英文：tensor。") is left out of the tip, and so is
the rest of the definition after its first sentence.  A change to the glossary
re-writes every page (their tips come from it).  ``d2l-prep.css`` shows the
same text under a link focused from the keyboard.

Why not sphinx-tippy or sphinx-hoverxref: both fetch the target page's HTML with
JavaScript at reading time (blocked by the site's CSP, and not offline from
``file://``), and show a whole section instead of one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from docutils import nodes
from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

# The other language's name that opens each definition (see the glossaries).
_PREFIX = re.compile(r"^\s*(?:Chinese:\s*[^.]*\.|英文[：:][^。]*。)\s*")
# The end of the first sentence: a Chinese full stop, or a Latin one followed by
# a space and anything but a lowercase letter or a digit ("e.g. 0.5"), or the end.
_SENTENCE_END = re.compile(r"。|[.!?](?=\s+[^\sa-z0-9]|\s*$)")
ATTR = "d2l_glossary_tips"


def _plain_math() -> LatexNodes2Text:
    """pylatexenc's LaTeX-to-Unicode converter, fractions kept unambiguous."""
    context = get_default_latex_context_db().filter_context(keep_categories=None)
    context.add_context_category(
        "d2l-fractions",
        macros=[MacroTextSpec("frac", simplify_repl="(%(1)s)/(%(2)s)")],
        prepend=True,
    )
    return LatexNodes2Text(math_mode="text", latex_context=context)


def definition_text(definition: nodes.Element) -> str:
    """A definition's text, its formulas as Unicode (``\\nabla`` → ∇)."""
    converter = _plain_math()
    copy = definition.deepcopy()
    for formula in list(copy.findall(nodes.math)):
        text = str(converter.latex_to_text(formula.astext()))
        formula.replace_self(nodes.Text(text))
    return str(copy.astext())


def first_sentence(definition: str) -> str:
    """The first sentence of a definition, without its other-language name.

    >>> first_sentence("Chinese: 张量. An array of numbers. A scalar is one.")
    'An array of numbers.'
    >>> first_sentence("英文：tensor。由数值构成的数组。标量是张量。")
    '由数值构成的数组。'
    """
    if not isinstance(definition, str):
        raise TypeError(f"definition must be a str, got {type(definition).__name__}")
    text = _PREFIX.sub("", " ".join(definition.split()), count=1)
    match = _SENTENCE_END.search(text)
    return text[: match.end()] if match else text


def _tips(env: BuildEnvironment) -> dict[str, dict[str, str]]:
    if not hasattr(env, ATTR):
        setattr(env, ATTR, {})
    tips: dict[str, dict[str, str]] = getattr(env, ATTR)
    return tips


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    """Store the first sentence of every glossary entry of this page by anchor."""
    found: dict[str, str] = {}
    for glossary in doctree.findall(addnodes.glossary):
        for item in glossary.findall(nodes.definition_list_item):
            definition = next(iter(item.findall(nodes.definition)), None)
            if definition is None:
                continue
            tip = first_sentence(definition_text(definition))
            for term in item.findall(nodes.term):
                for anchor in term["ids"]:
                    found[anchor] = tip
    tips = _tips(app.env)
    tips.pop(app.env.docname, None)
    if found:
        tips[app.env.docname] = found


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _tips(env).pop(docname, None)


def _merge(
    app: Sphinx,
    env: BuildEnvironment,
    docnames: Iterable[str],
    other: BuildEnvironment,
) -> None:
    theirs = _tips(other)
    _tips(env).update({name: theirs[name] for name in docnames if name in theirs})


def _all_pages_when_glossary_changes(
    app: Sphinx,
    env: BuildEnvironment,
    added: set[str],
    changed: set[str],
    removed: set[str],
) -> list[str]:
    if set(_tips(env)) & (changed | removed):
        return sorted(env.found_docs)
    return []


def _anchor(reference: nodes.reference) -> tuple[str, str]:
    """(target page, anchor) of a resolved internal reference; page '' = this one."""
    if "refid" in reference:
        return "", reference["refid"]
    page, _, anchor = reference.get("refuri", "").partition("#")
    return page.rsplit("/", 1)[-1].removesuffix(".html"), anchor


def _add_titles(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Give each term link of the page the first sentence of its definition."""
    tips = _tips(app.env)
    for reference in doctree.findall(nodes.reference):
        inline = reference.children[0] if reference.children else None
        if not isinstance(inline, nodes.inline) or "std-term" not in inline["classes"]:
            continue
        page, anchor = _anchor(reference)
        target = (page and page.rsplit("/", 1)[-1]) or docname.rsplit("/", 1)[-1]
        for glossary_page, entries in tips.items():
            if glossary_page.rsplit("/", 1)[-1] == target and anchor in entries:
                reference["reftitle"] = entries[anchor]
                break


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _all_pages_when_glossary_changes)
    app.connect("doctree-resolved", _add_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
