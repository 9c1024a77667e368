"""The print edition loses nothing silently (issue 19 §7), on a small book.

An emoji is printed (Symbola, through xeCJK's fallback); a character no font
has, or a LaTeX error, fails ``python -m d2l_book pdf`` with LaTeX's own message and the
page (and the page's line), not latexmk's boilerplate. One small book is
executed once for the module; each test only changes a prose line, which the
execution cache does not see, so no kernel starts again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from tests.engine.engine_book import SmallBook, page

pytestmark = pytest.mark.build

TOOLS = ("xelatex", "latexmk", "rsvg-convert", "make")
# What latexmk and make print when a run fails, which the report replaces.
BOILERPLATE = re.compile(r"Latexmk:|Collected error summary|make(\[\d+\])?: \*\*\*")


@pytest.fixture(scope="module")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> SmallBook:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the PDF build needs {missing} under CI")
        pytest.skip(f"the PDF build needs {missing}")
    return SmallBook(tmp_path_factory.mktemp("pdf-book"))


def print_with(
    book: SmallBook, prose: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Print the English small book with ``prose`` as a line of page beta.

    Returns the run and the line number of ``prose`` in beta's source.
    """
    text = page("Beta", "x = 21", "print('beta', 2 * x)") + f"\n{prose}\n"
    book.write("beta.md", text)
    line = text.splitlines().index(prose) + 1
    try:
        run = subprocess.run(
            book.command("pdf", "en"),
            env=book.env(),
            cwd=book.root,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired as hang:
        raise AssertionError(f"the PDF build hung:\n{hang.stderr!r}") from None
    return run, line


def pdf_text(book: SmallBook) -> str:
    reader = PdfReader(book.build_dir / "pdf" / "d2l-prep-en.pdf")
    return "".join(p.extract_text() for p in reader.pages)


def test_an_emoji_is_printed(small_book: SmallBook) -> None:
    run, _ = print_with(small_book, "A smile 🙂 and a rocket 🚀 in prose.")
    assert run.returncode == 0, run.stdout + run.stderr
    text = pdf_text(small_book)
    assert "🙂" in text and "🚀" in text
    assert "beta 42" in text


def test_a_character_no_font_has_fails_naming_its_page(small_book: SmallBook) -> None:
    # U+10600 LINEAR A SIGN AB001: in none of the fonts the PDF build installs.
    run, line = print_with(small_book, "Linear A: \U00010600 here.")
    log = run.stdout + run.stderr
    assert run.returncode != 0, log
    assert "Missing character: There is no \U00010600 (U+10600)" in log
    assert f"docs/en/beta.md, line {line}:" in log
    assert not BOILERPLATE.search(log), log


def test_a_latex_error_names_the_page_and_line(small_book: SmallBook) -> None:
    run, line = print_with(small_book, r"Some math: $\undefinedmacro{x}$.")
    log = run.stdout + run.stderr
    assert run.returncode != 0, log
    assert r"Undefined control sequence. \undefinedmacro" in log
    assert f"docs/en/beta.md, line {line}:" in log
    assert not BOILERPLATE.search(log), log
    assert ".tex:" not in log, "the .tex line, not the page's, was reported"
