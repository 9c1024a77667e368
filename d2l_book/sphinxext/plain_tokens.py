"""Highlighted code without the spans that change nothing on the page.

Pygments wraps every token of a code block in a ``<span>`` of its class.
Names and punctuation, about half of a page's tokens, are drawn in the code's
own colour by both styles the site uses (the light one and furo's dark one),
so their spans only add weight: 79 KiB of the calculus page's 399 KiB, and
3,500 elements for the browser.  The HTML builder's highlighter gets a
formatter that writes no span for a token type both styles draw like plain
text (same colour, no weight, slant, underline or background); every other
token keeps its span and class.  Pygments' ``HtmlFormatter`` has no option
for this; its per-type class lookup is the one place to say it.
"""

from __future__ import annotations

from typing import Any

from pygments.formatters import HtmlFormatter
from pygments.style import Style
from pygments.token import STANDARD_TYPES, Token, _TokenType
from sphinx.application import Sphinx
from sphinx.highlighting import PygmentsBridge


def plain_types(*styles: type[Style]) -> frozenset[_TokenType]:
    """The token types every one of ``styles`` draws as it draws plain text.

    Generic tokens (a prompt ``>>>``, an output) and errors always keep their
    class: furo's stylesheet makes a prompt unselectable by it.
    """
    plain = set()
    for ttype in STANDARD_TYPES:
        if ttype in Token.Generic or ttype in Token.Error or ttype is Token:
            continue
        if all(
            style.style_for_token(ttype) == style.style_for_token(Token.Text)
            for style in styles
        ):
            plain.add(ttype)
    return frozenset(plain)


def formatter_for(plain: frozenset[_TokenType]) -> type[Any]:
    """Pygments' HTML formatter, writing no span for the types in ``plain``."""

    class PlainTokenFormatter(HtmlFormatter):  # type: ignore[misc]
        def _get_css_classes(self, ttype: _TokenType) -> str:
            return "" if ttype in plain else str(super()._get_css_classes(ttype))

    return PlainTokenFormatter


def _drop_plain_spans(app: Sphinx) -> None:
    highlighter = getattr(app.builder, "highlighter", None)
    if app.builder.format != "html" or not isinstance(highlighter, PygmentsBridge):
        return
    styles = [highlighter.formatter_args["style"]]
    dark = getattr(app.config, "pygments_dark_style", None)  # furo's option
    if dark:
        styles.append(PygmentsBridge("html", dark).formatter_args["style"])
    highlighter.formatter = formatter_for(plain_types(*styles))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _drop_plain_spans)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
