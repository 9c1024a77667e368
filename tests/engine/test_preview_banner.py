"""What the preview's banner says about a failed rebuild (serve_app.first_error)."""

from __future__ import annotations

import pytest

from d2l_book.serve_app import first_error

FALLBACK = "the rebuild failed"


@pytest.mark.parametrize(
    ("output", "where", "message"),
    [
        (  # the engine's order: level, page, what
            "executing 1 notebook\nERROR: docs/en/beta.md:16: this ::: block is "
            "never closed\n",
            "docs/en/beta.md:16",
            "ERROR: this ::: block is never closed",
        ),
        (  # Sphinx's order: page, level, what
            "/tmp/x/docs/zh/alpha.md:3: WARNING: undefined label: 'nope'\n",
            "docs/zh/alpha.md:3",
            "WARNING: undefined label: 'nope'",
        ),
        (  # a traceback's last line, after the page named above it
            "  docs/en/beta.md:13\nTraceback (most recent call last):\n"
            "ValueError: not yet\n",
            "docs/en/beta.md:13",
            "ValueError: not yet",
        ),
        ("nothing said\n", "", FALLBACK),
    ],
)
def test_the_banner_names_the_page_and_the_error(
    output: str, where: str, message: str
) -> None:
    assert first_error(output, FALLBACK) == {"where": where, "message": message}
