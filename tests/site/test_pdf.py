"""The print editions: one PDF per book, built by ``python -m d2l_book pdf`` (``nox -s pdf``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from pypdf.generic import Destination

from d2l_book.sources.contents import contents
from tests.book import BOOKS, BUILD, DOCS, ROOT
from tests.site.conftest import once_per_run

# Under pytest-xdist the books are printed once per run (built_pdfs), while
# other workers read the site, whose pages the PDF build replaces whole
# (print_editions.show_links). The group (nox -s tests: --dist loadgroup)
# only saves reading each PDF's text on two workers; pytest 9.2 with xdist
# 3.8 ignores it (pytest-dev/pytest-xdist#1386).
pytestmark = [pytest.mark.build, pytest.mark.xdist_group("pdf")]

PDF = BUILD / "pdf"
LATEX = BUILD / "latex"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_printed: list[dict[str, str]] = []


def chapters(book: str) -> list[tuple[str, str]]:
    """(page, title) of each page in the book's toctrees, in order."""
    titles = []
    for name in contents(book):
        source = (DOCS / book / f"{name}.md").read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", source, re.M)
        assert title, f"{book}/{name}.md has no title"
        titles.append((name, title.group(1).replace("`", "")))
    return titles


def squeeze(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines and spaces CJK."""
    return re.sub(r"\s+", "", text)


def _print() -> dict[str, str]:
    """Print both books: why the tests skip or fail, if they do."""
    result = subprocess.run(
        [sys.executable, "-m", "d2l_book", "pdf"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    log = result.stdout + result.stderr
    if result.returncode and "the PDF build needs" in log and not _in_ci():
        return {"skip": log.strip(), "failure": ""}
    failure = f"PDF build failed:\n{log[-6000:]}" if result.returncode else ""
    return {"skip": "", "failure": failure}


@pytest.fixture(scope="session")
def built_pdfs(built_site: Path) -> dict[str, PdfReader]:
    """Print both books after the site build, so no notebook executes again.

    With ``D2L_USE_BUILT_SITE=1``, the PDFs already in ``_build/pdf`` are used.
    Without TeX the tests skip, except under ``CI=true``, where they fail.
    Printed once per run, by one pytest-xdist worker (``once_per_run``).
    """
    paths = {book: PDF / f"d2l-prep-{book}.pdf" for book in BOOKS}
    if os.environ.get("D2L_USE_BUILT_SITE") != "1":
        if not _printed:  # remembered: a failed build is not retried
            _printed.append(once_per_run("pdf", _print))
        if _printed[0]["skip"]:
            pytest.skip(_printed[0]["skip"])
        if _printed[0]["failure"]:
            pytest.fail(_printed[0]["failure"])
    return {book: PdfReader(path) for book, path in paths.items()}


def _top_level(reader: PdfReader) -> list[Destination]:
    """The outline's chapters (nested lists hold their sections)."""
    return [item for item in reader.outline if not isinstance(item, list)]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.mark.parametrize("book", BOOKS)
def test_each_pdf_is_a_book(built_pdfs: dict[str, PdfReader], book: str) -> None:
    assert len(built_pdfs[book].pages) >= 40


@pytest.mark.parametrize("book", BOOKS)
def test_contents_are_the_chapters_in_order(
    built_pdfs: dict[str, PdfReader], book: str
) -> None:
    """The PDF's outline (bookmarks) lists every chapter title, in book order."""
    outline = [item.title for item in _top_level(built_pdfs[book])]
    assert [squeeze(t) for t in outline] == [squeeze(t) for _, t in chapters(book)]


_TEXTS: dict[int, list[str]] = {}


def _texts(reader: PdfReader) -> list[str]:
    """Each page's text, extracted once per reader (it takes seconds)."""
    if id(reader) not in _TEXTS:
        _TEXTS[id(reader)] = [page.extract_text() for page in reader.pages]
    return _TEXTS[id(reader)]


@pytest.mark.parametrize("book", BOOKS)
def test_text_holds_every_chapter_title(
    built_pdfs: dict[str, PdfReader], book: str
) -> None:
    text = squeeze("".join(_texts(built_pdfs[book])))
    missing = [t for _, t in chapters(book) if squeeze(t) not in text]
    assert missing == []


def test_chinese_pdf_is_in_chinese(built_pdfs: dict[str, PdfReader]) -> None:
    zh = "".join(_texts(built_pdfs["zh"]))
    assert len(_CJK.findall(zh)) > 5000
    # The English book only prints Chinese in its glossary's term names.
    en = "".join(_texts(built_pdfs["en"]))
    assert len(_CJK.findall(en)) < len(_CJK.findall(zh)) / 10


@pytest.mark.parametrize("book", BOOKS)
def test_no_reference_is_left_unresolved(
    built_pdfs: dict[str, PdfReader], book: str
) -> None:
    """LaTeX resolved every reference, and "??" is only printed where a page has it."""
    log = (LATEX / book / f"d2l-prep-{book}.log").read_text(errors="replace")
    assert not re.search(r"Reference `[^']*' on page \d+ undefined", log)
    assert "There were undefined references" not in log
    reader = built_pdfs[book]
    starts = [reader.get_destination_page_number(item) for item in _top_level(reader)]
    with_marks = {
        name
        for name, _ in chapters(book)
        if "??" in (DOCS / book / f"{name}.md").read_text(encoding="utf-8")
    }
    for number, text in enumerate(_texts(reader)):
        if "??" not in text:
            continue
        chapter = sum(start <= number for start in starts) - 1
        assert chapter >= 0 and chapters(book)[chapter][0] in with_marks, (
            f"'??' on page {number + 1} of the {book} PDF"
        )


@pytest.mark.parametrize("book", BOOKS)
def test_every_solution_is_printed(built_pdfs: dict[str, PdfReader], book: str) -> None:
    word = {"en": "Solution", "zh": "答案"}[book]
    expected = sum(
        (DOCS / book / f"{name}.md")
        .read_text(encoding="utf-8")
        .count(f":::{{dropdown}} {word}\n")
        for name, _ in chapters(book)
    )
    text = "\n".join(_texts(built_pdfs[book]))
    assert expected > 10
    assert len(re.findall(rf"^{word}\s*$", text, re.M)) == expected


@pytest.mark.parametrize("book", BOOKS)
def test_figures_are_vectors(built_pdfs: dict[str, PdfReader], book: str) -> None:
    tex = (LATEX / book / f"d2l-prep-{book}.tex").read_text(encoding="utf-8")
    figures = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{?([^}]+)\}", tex)
    assert len(figures) > 10
    assert all(Path(f).suffix in {"", ".pdf"} for f in figures), figures
    assert sum(len(page.images) for page in built_pdfs[book].pages) == 0


def test_site_links_each_pdf(
    built_site: Path, built_pdfs: dict[str, PdfReader]
) -> None:
    def links(page: Path) -> set[Path]:
        """The PDFs a page links from no hidden element (print_editions.py)."""
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        return {
            (page.parent / a["href"]).resolve()
            for a in soup.find_all("a", href=True)
            if a["href"].endswith(".pdf")
            and not any(e.has_attr("hidden") for e in [a, *a.parents])
        }

    site_pdfs = {book: built_site / "pdf" / f"d2l-prep-{book}.pdf" for book in BOOKS}
    assert links(built_site / "index.html") == {p.resolve() for p in site_pdfs.values()}
    for book in BOOKS:
        assert links(built_site / book / "index.html") == {site_pdfs[book].resolve()}
        assert site_pdfs[book].read_bytes() == (PDF / site_pdfs[book].name).read_bytes()


def html_figures(html: Path) -> list[tuple[str, str]]:
    """(number, caption) of each figure of a built page: ("Figure 4.1", "The ...")."""
    tree = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    return [
        (number.get_text().strip(), number.find_next_sibling().get_text())
        for number in tree.select("article figcaption .caption-number")
    ]


@pytest.mark.parametrize("book", BOOKS)
def test_figures_have_the_numbers_of_the_site(
    built_pdfs: dict[str, PdfReader], built_site: Path, book: str
) -> None:
    """Each figure is printed with the number and caption the site gives it
    ("Figure 4.1: The parabola ...", "图 C.2  ..."), appendix letters included."""
    text = squeeze("".join(_texts(built_pdfs[book])))
    figures = [
        figure
        for page, _ in chapters(book)
        for figure in html_figures(built_site / book / f"{page}.html")
    ]
    assert len(figures) == 29
    missing = [
        f"{number} {caption}"
        for number, caption in figures
        if not re.search(
            re.escape(squeeze(number)) + ":?" + re.escape(squeeze(caption)[:10]), text
        )
    ]
    assert missing == []
