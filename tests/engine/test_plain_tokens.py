"""Code blocks without the spans of tokens drawn as plain text (plain_tokens.py)."""

from __future__ import annotations

import re

from pygments import highlight
from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import Token

from d2l_book.sphinxext.plain_tokens import formatter_for, plain_types
from tests.engine.engine_book import SmallBook

# furo's light style (its theme.conf) and its default dark one.
STYLES = (get_style_by_name("a11y-light"), get_style_by_name("native"))


def test_only_types_both_styles_draw_as_text_are_plain() -> None:
    plain = plain_types(*STYLES)
    assert {Token.Name, Token.Punctuation} <= plain
    # Coloured in one style or both, or styled by furo (a prompt).
    for kept in (Token.Operator, Token.Keyword, Token.Text.Whitespace):
        assert kept not in plain
    assert not any(t in Token.Generic for t in plain)
    assert plain <= plain_types(STYLES[0]) and plain <= plain_types(STYLES[1])


def test_the_formatter_drops_only_the_plain_spans() -> None:
    code = "x = len(y)  # note\n"
    html = highlight(code, PythonLexer(), formatter_for(plain_types(*STYLES))())
    assert '<span class="n">' not in html and '<span class="p">' not in html
    assert '<span class="nb">len</span>' in html and '<span class="c1">' in html
    assert re.sub(r"<[^>]+>", "", html).replace("&#39;", "'").strip() == code.strip()


def test_the_books_pages_drop_them_and_the_theme_draws_them_as_text(
    built: SmallBook,
) -> None:
    html = built.html("en", "beta")  # x = 21, print('beta', 2 * x)
    assert '<span class="n">' not in html and '<span class="p">' not in html
    assert '<span class="mi">21</span>' in html
    css = (built.build_dir / "html" / "en" / "_static" / "pygments.css").read_text()
    # In each theme, the dropped classes had the code's own colour.
    for scope in ("", 'body[data-theme="dark"] ', 'body:not([data-theme="light"]) '):
        base = re.search(re.escape(scope) + r"\.highlight \{[^}]*color: (#\w+)", css)
        assert base is not None, scope
        for name in ("n", "p"):
            rule = re.search(
                re.escape(scope) + rf"\.highlight \.{name} \{{ ([^}}]*) \}}", css
            )
            assert rule is not None and rule.group(1) == f"color: {base.group(1)}"
