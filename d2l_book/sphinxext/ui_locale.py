"""The site's interface in the book's language: Sphinx's, furo's and ours.

Sphinx translates its own interface from its catalogues, but they lack the
strings furo adds ("Previous", "On this page", "Back to top"...), and the
Chinese JavaScript catalogue still has the search status line of Sphinx 7
("page(s)"), so Sphinx 8's ``ngettext`` call finds no translation.  Furo
ships no catalogue at all, and writes some of its interface without
``_()``: button and checkbox labels, the icons' titles, "'s" in its footer,
the navigation's "Toggle navigation of ...", as MyST-NB does the label of a
folded cell.

The missing strings live in ``docs/locales/<language>/LC_MESSAGES/sphinx.po``
(a gettext catalogue, read by Sphinx before its own).  Before Sphinx starts,
:func:`prepare` compiles it into the build folder, never into the sources,
with babel (what Sphinx compiles catalogues with), and writes the JavaScript
catalogue there too: Sphinx's own for the language, with this catalogue's
JavaScript strings (those whose location is a ``.js`` file) added, since
Sphinx copies one ``sphinx.js`` and does not merge them.
:class:`TranslatingTemplateLoader` passes furo's hard-coded labels and
titles through ``_()``, so the same catalogue translates them; in the
English book ``_()`` returns them as they are; so does ``_visit_hidden_cell``
for MyST-NB's label.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import sphinx
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment
from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput
from sphinx.application import Sphinx
from sphinx.jinja2glue import BuiltinTemplateLoader
from sphinx.locale import get_translation

from d2l_book.settings import DOCS

CATALOGUES = DOCS / "locales"
_JS_CATALOGUE = re.compile(
    r"Documentation\.addTranslations\((?P<json>.*)\);?\s*$", re.S
)


def catalogue(language: str, source: Path = CATALOGUES) -> Path:
    """The project's catalogue for ``language`` (it need not exist)."""
    return source / language / "LC_MESSAGES" / "sphinx.po"


def catalogue_digest(language: str, source: Path = CATALOGUES) -> str:
    """A hash of the language's catalogue: the book is rebuilt when it changes."""
    path = catalogue(language, source)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else ""


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def sphinx_js_catalogue(language: str) -> dict[str, Any]:
    """Sphinx's own JavaScript catalogue for ``language`` (empty if none)."""
    path = Path(sphinx.package_dir, "locale", language, "LC_MESSAGES", "sphinx.js")
    if not path.is_file():
        return {"messages": {}, "plural_expr": "(n != 1)", "locale": language}
    match = _JS_CATALOGUE.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{path} is not a Sphinx JavaScript catalogue")
    loaded: dict[str, Any] = json.loads(match["json"])
    return loaded


def prepare(language: str, target: Path, source: Path = CATALOGUES) -> list[str]:
    """Compile the language's catalogue into ``target``; return ``locale_dirs``.

    Writes ``<target>/<language>/LC_MESSAGES/sphinx.mo`` and ``sphinx.js``
    (only when their content changes); returns ``[]`` when the project has
    no catalogue for the language.
    """
    po_path = catalogue(language, source)
    if not po_path.is_file():
        return []
    out = target / language / "LC_MESSAGES"
    stamp = target / language / "compiled.stamp"
    if _compiled_after(po_path, stamp, [out / "sphinx.mo", out / "sphinx.js"]):
        return [str(target)]  # babel's reading of the catalogue: 0.1 s a build
    with po_path.open("rb") as po:
        messages = read_po(po, locale=language)
    mo = io.BytesIO()
    write_mo(mo, messages)
    _write_if_changed(out / "sphinx.mo", mo.getvalue())
    js = sphinx_js_catalogue(language)
    for message in messages:
        if not message.id or not message.string:
            continue
        if any(place.endswith(".js") for place, _line in message.locations):
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string
            js["messages"][key] = (
                list(strings) if isinstance(strings, tuple) else strings
            )
    text = (
        "Documentation.addTranslations("
        + json.dumps(js, sort_keys=True, indent=4)
        + ");"
    )
    _write_if_changed(out / "sphinx.js", text.encode("utf-8"))
    stamp.write_text(f"{po_path}\n", encoding="utf-8")  # compiled, written or not
    return [str(target)]


def _compiled_after(po_path: Path, stamp: Path, outputs: list[Path]) -> bool:
    """Whether ``outputs`` exist and were compiled (``stamp``) after the
    catalogue and Sphinx's own catalogues (its version) last changed."""
    sources = [po_path, Path(sphinx.package_dir, "locale")]
    if not all(path.is_file() for path in outputs):
        return False
    try:
        compiled = stamp.stat().st_mtime_ns
        made_from = stamp.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return False
    if made_from != str(po_path):  # another catalogue compiled here
        return False
    return all(path.stat().st_mtime_ns < compiled for path in sources)


# Furo's labels and titles written without _(): an aria-label or an SVG
# <title> holding plain text, and the "'s" after @pradyunsg in the footer.
_LABEL = re.compile(r'aria-label="(?P<text>[^"{}]+)"')
_TITLE = re.compile(r"<title>(?P<text>[^<{}]+)</title>")
_POSSESSIVE = re.compile(r"(?<=@pradyunsg</a>)'s")


def translatable(source: str) -> str:
    """Furo template source with its hard-coded labels passed through ``_()``."""
    source = _LABEL.sub(lambda m: f'aria-label="{{{{ _({m["text"]!r}) }}}}"', source)
    source = _TITLE.sub(lambda m: f"<title>{{{{ _({m['text']!r}) }}}}</title>", source)
    return _POSSESSIVE.sub('{{ _("\'s") }}', source)


class TranslatingTemplateLoader(BuiltinTemplateLoader):
    """Sphinx's template loader, making furo's hard-coded strings translatable."""

    furo_templates = (
        Path(str(getattr(importlib.util.find_spec("furo"), "origin", ""))).parent
        / "theme"
    ).resolve()

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if Path(filename).resolve().is_relative_to(self.furo_templates):
            source = translatable(source)
        return source, filename, uptodate


_NAVIGATION_TOGGLE = re.compile(r'aria-label="Toggle navigation of (?P<title>[^"]*)"')


def _translate_navigation(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Furo's navigation tree (built in Python) names each expander in English."""
    tree = context.get("furo_navigation_tree")
    if not tree:
        return
    _ = get_translation("sphinx")
    template = _("Toggle navigation of %(title)s")
    context["furo_navigation_tree"] = _NAVIGATION_TOGGLE.sub(
        lambda m: f'aria-label="{template % {"title": m["title"]}}"', tree
    )


_HIDDEN_LABEL = 'aria-label="Toggle hidden content"'


def _visit_hidden_cell(self: Any, node: HideCodeCellNode) -> None:
    """MyST-NB's folded cell, its English ``aria-label`` translated."""
    start = len(self.body)
    visit_HideCellInput(self, node)
    label = escape(str(get_translation("sphinx")("Toggle hidden content")))
    self.body[start:] = [
        part.replace(_HIDDEN_LABEL, f'aria-label="{label}"')
        for part in self.body[start:]
    ]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_node(
        HideCodeCellNode,
        override=True,
        html=(_visit_hidden_cell, depart_HideCellInput),
    )
    # "env": the API page's module docstrings (api_origin.py) are read, not written.
    app.add_config_value("ui_catalogue_digest", "", "env", types=[str])
    # after furo's own handler, which builds the navigation tree
    app.connect("html-page-context", _translate_navigation, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
