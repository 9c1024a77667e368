"""The print editions: one PDF per book, built by ``python -m d2l_book pdf`` (``nox -s pdf``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    Destination,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from d2l_book.sources.contents import contents
from tests.book import BOOKS, BUILD, DOCS, ROOT
from tests.site import parsed
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


# Per reader: each page's text, and the inline images its content streams draw.
_READ: dict[PdfReader, tuple[list[str], list[str]]] = {}


def _read(reader: PdfReader) -> tuple[list[str], list[str]]:
    """Each page's text and the inline images drawn, found in one pass per reader.

    Extracting the text parses every content stream, the pages' and the
    forms' they draw (the figures), which takes seconds: the inline images
    (``BI ... EI``) are noted on the way, instead of parsing them all again.
    """
    if reader not in _READ:
        texts: list[str] = []
        inline: list[str] = []
        for number, page in enumerate(reader.pages, start=1):
            text, count = _page_text(page)
            texts.append(text)
            inline += [f"an inline image on page {number}"] * count
        _READ[reader] = (texts, inline)
    return _READ[reader]


def _page_text(page: PageObject) -> tuple[str, int]:
    """A page's text, and the number of inline images it draws."""
    seen: Counter[bytes] = Counter()
    text = page.extract_text(visitor_operand_before=lambda op, *_: seen.update([op]))
    if not seen:  # nothing parsed (a page without resources): pypdf looks
        return text, len(page.images)
    return text, seen[b"INLINE IMAGE"]


def _texts(reader: PdfReader) -> list[str]:
    """Each page's text, extracted once per reader (it takes seconds)."""
    return _read(reader)[0]


def image_objects(owner: DictionaryObject, seen: set[int] | None = None) -> list[str]:
    """The image XObjects in the resources of a page, or of the forms it holds."""
    seen = set() if seen is None else seen
    if id(owner) in seen:
        return []
    seen.add(id(owner))
    resources = owner.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or "/XObject" not in resources:
        return []
    found = []
    for name, entry in resources["/XObject"].get_object().items():
        entry = entry.get_object()
        if not isinstance(entry, StreamObject):
            continue
        if entry.get("/Subtype") == "/Image":
            found.append(str(name))
        else:  # a form, which may hold images of its own
            found += [f"{name}/{inner}" for inner in image_objects(entry, seen)]
    return found


def raster_images(reader: PdfReader) -> list[str]:
    """Every image XObject and every inline image of the PDF, by page."""
    return [
        f"{name} on page {number}"
        for number, page in enumerate(reader.pages, start=1)
        for name in image_objects(page)
    ] + _read(reader)[1]


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
    assert raster_images(built_pdfs[book]) == []


def test_site_links_each_pdf(
    built_site: Path, built_pdfs: dict[str, PdfReader]
) -> None:
    def links(page: Path) -> set[Path]:
        """The PDFs a page links from no hidden element (print_editions.py)."""
        soup = parsed.tree(page)  # shared: read, never changed
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
    tree = parsed.tree(html)  # shared: read, never changed
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


def _pdf_with(tmp_path: Path, content: bytes, image: bool = False) -> PdfReader:
    """A one-page PDF drawing ``content`` (and holding a 1x1 image XObject)."""
    writer = PdfWriter()
    page = writer.add_blank_page(10, 10)
    if image:
        picture = DecodedStreamObject()
        picture.set_data(b"\x80")
        picture.update(
            {
                NameObject(key): value
                for key, value in {
                    "/Type": NameObject("/XObject"),
                    "/Subtype": NameObject("/Image"),
                    "/Width": NumberObject(1),
                    "/Height": NumberObject(1),
                    "/ColorSpace": NameObject("/DeviceGray"),
                    "/BitsPerComponent": NumberObject(8),
                }.items()
            }
        )
        xobjects = DictionaryObject({NameObject("/Im0"): picture})
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/XObject"): xobjects}
        )
    stream = DecodedStreamObject()
    stream.set_data(content)
    page.replace_contents(stream)
    path = tmp_path / "one.pdf"
    writer.write(path)
    return PdfReader(path)


def test_raster_images_finds_what_pypdf_finds(tmp_path: Path) -> None:
    """An image XObject and an inline image are found, as pypdf's ``images`` finds them."""
    drawn = b"q 10 0 0 10 0 0 cm /Im0 Do Q"
    inline = b"q 10 0 0 10 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q"
    vector = b"0 0 m 10 10 l S"
    for content, image, expected in [
        (drawn, True, ["/Im0 on page 1"]),
        (inline, False, ["an inline image on page 1"]),
        (inline, True, ["/Im0 on page 1", "an inline image on page 1"]),
        (vector, False, []),
    ]:
        reader = _pdf_with(tmp_path, content, image)
        assert raster_images(reader) == expected, content
        assert len(reader.pages[0].images) == len(expected), content
