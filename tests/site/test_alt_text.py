"""Every figure of a chapter says in words, in the page's language, what it shows.

MyST-NB takes a figure's alt text from the cell's ``mystnb: image: alt:``
metadata; without it, the alt text is the image's file name, a hash that tells
a reader using a screen reader nothing.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest

from d2l_book.sources.cells import read_code_cells
from d2l_book.sources.contents import chapters
from tests.book import BOOKS, DOCS, pages
from tests.site import parsed

# Pages with code can draw figures: the chapters, the appendix on drawing
# graphs and the API page (the glossary and the home page have no code).
WITH_CODE = [page for page in pages() if read_code_cells(DOCS / "en" / f"{page}.md")]

_IMAGE_FILE = re.compile(r"\.(?:svg|png|jpe?g|gif|webp)$", re.I)
_HASH = re.compile(r"^[0-9a-f]{16,}$", re.I)
# Two letters in a row (any script): a word, not only digits and punctuation.
_WORD = re.compile(r"[^\W\d_]{2}")


def alt_problem(alt: str | None, src: str) -> str | None:
    """Why ``alt`` does not describe the image at ``src`` in words, or None."""
    text = (alt or "").strip()
    name = PurePosixPath(src).name
    if not text:
        return "no alt text"
    if text in (name, PurePosixPath(name).stem) or _IMAGE_FILE.search(text):
        return f"alt text is a file name: {text!r}"
    if _HASH.match(PurePosixPath(text).stem):
        return f"alt text is a hash: {text!r}"
    if not _WORD.search(text):
        return f"alt text has no words: {text!r}"
    return None


def figures_without_words(html: Path) -> list[str]:
    """The problems of the images in a built page's article, one per image."""
    article = parsed.tree(html).find("article")  # shared: read, never changed
    assert article is not None, f"{html} has no article"
    problems = []
    for number, img in enumerate(article.find_all("img"), start=1):
        src = str(img.get("src", ""))
        alt = img.get("alt")
        problem = alt_problem(alt if isinstance(alt, str) else None, src)
        if problem:
            problems.append(f"image {number} ({src}): {problem}")
    return problems


@pytest.mark.build
@pytest.mark.parametrize("page", WITH_CODE)
@pytest.mark.parametrize("book", BOOKS)
def test_chapter_images_have_alt_text_in_words(
    built_site: Path, book: str, page: str
) -> None:
    assert figures_without_words(built_site / book / f"{page}.html") == []


def test_every_chapter_is_checked() -> None:
    """No chapter escapes the alt-text check for want of code the reader finds."""
    assert set(chapters("en")) <= set(WITH_CODE), WITH_CODE


@pytest.mark.parametrize(
    ("alt", "src", "expected"),
    [
        (None, "_images/a1b2.svg", "no alt text"),
        ("  ", "_images/a1b2.svg", "no alt text"),
        ("a1b2", "_images/a1b2.svg", "file name"),
        ("a1b2.svg", "_images/a1b2.svg", "file name"),
        ("figure.png", "_images/a1b2.svg", "file name"),
        (
            "3f1e9c7a5b2d4e6f8a0b1c2d3e4f5a6b",
            "_images/other.svg",
            "hash",
        ),
        ("1.5 -> 2", "_images/a1b2.svg", "no words"),
    ],
)
def test_alt_problem_flags_what_is_not_a_description(
    alt: str | None, src: str, expected: str
) -> None:
    problem = alt_problem(alt, src)
    assert problem is not None and expected in problem


@pytest.mark.parametrize(
    "alt",
    [
        "The parabola f(x) = 3x² − 4x and its tangent line at x = 1.",
        "抛物线 f(x) = 3x² − 4x 及其在 x = 1 处的切线。",
    ],
)
def test_alt_problem_accepts_a_description(alt: str) -> None:
    assert alt_problem(alt, "_images/a1b2.svg") is None
