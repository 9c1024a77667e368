"""Reader aids: glossary tips on term links, links to where the book lives, PDF notes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from d2l_book.build import missing_pdfs
from d2l_book.settings import repo_url
from d2l_book.sphinxext.bilingual import repo_links
from d2l_book.sphinxext.glossary_tips import first_sentence
from tests.book import BOOKS, DOCS
from tests.site import parsed

soup = parsed.tree  # each page parsed once, shared: read, never changed


# -- Glossary tips -------------------------------------------------------------


def test_first_sentence_drops_the_other_language_name() -> None:
    assert (
        first_sentence("Chinese: 计算图. A directed graph of operations. It is kept.")
        == "A directed graph of operations."
    )
    assert (
        first_sentence("英文：computation graph。记录运算的有向图。PyTorch 记录它。")
        == "记录运算的有向图。"
    )


def test_first_sentence_keeps_abbreviations_and_decimals() -> None:
    text = "Chinese: 导数. The slope of f at x, e.g. 0.5 for a line. More here."
    assert first_sentence(text) == "The slope of f at x, e.g. 0.5 for a line."


def test_first_sentence_refuses_a_non_string() -> None:
    with pytest.raises(TypeError, match="definition must be a str, got int"):
        first_sentence(3)  # type: ignore[arg-type]


# The definitions' first sentences, as docs/<book>/glossary.md gives them.
TIPS = {
    "en": ("derivative", "The rate of change of a function"),
    "zh": ("导数", "函数"),
}


@pytest.mark.build
@pytest.mark.parametrize("book", BOOKS)
def test_term_links_carry_their_definition(built_site: Path, book: str) -> None:
    page = soup(built_site / book / "calculus.html")
    links = [a for a in page.select("a.reference") if a.select_one(".std-term")]
    assert links, "calculus has term links"
    untitled = [a.get_text() for a in links if not a.get("title")]
    assert not untitled, f"term links without a tip: {untitled}"
    term, start = TIPS[book]
    tip = next(a["title"] for a in links if a.get_text() == term)
    assert tip.startswith(start), tip
    assert "Chinese" not in tip and "英文" not in tip
    assert tip.endswith("." if book == "en" else "。"), tip
    glossary = soup(built_site / book / "glossary.html")
    entry = glossary.find(id=links[0]["href"].partition("#")[2])
    assert entry is not None and entry.name == "dt"


# -- Where the book lives ---------------------------------------------------------


def test_repo_url_is_checked_and_trimmed() -> None:
    assert repo_url("https://example.org/d2l-prep/") == "https://example.org/d2l-prep"
    assert repo_url("") == ""
    with pytest.raises(ValueError, match="D2L_REPO_URL must be an http"):
        repo_url("git@example.org:d2l-prep.git")


def test_repo_links_point_at_the_page_source_and_the_tracker() -> None:
    links = repo_links("https://example.org/r", "zh", "calculus", ".md")
    assert links is not None
    assert links["edit_url"] == "https://example.org/r/blob/main/docs/zh/calculus.md"
    assert links["edit_label"] == "编辑此页"
    assert links["report_url"] == "https://example.org/r/issues/new"
    assert links["report_label"] == "报告问题"
    en = repo_links("https://example.org/r", "en", "search", None)
    assert en is not None and "edit_url" not in en
    assert en["report_label"] == "Report a problem"
    assert repo_links("", "en", "calculus", ".md") is None


@pytest.mark.build
@pytest.mark.parametrize("book", BOOKS)
def test_default_build_links_no_repository(built_site: Path, book: str) -> None:
    page = soup(built_site / book / "calculus.html")
    assert page.select(".repo-links, a.repo-link") == []


# -- PDF editions ---------------------------------------------------------------------


def test_missing_pdfs_are_named_with_the_command(tmp_path: Path) -> None:
    line = missing_pdfs(("en", "zh"), tmp_path)
    assert "pdf/d2l-prep-en.pdf, pdf/d2l-prep-zh.pdf" in line
    assert "nox -s pdf" in line
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "d2l-prep-en.pdf").write_bytes(b"%PDF-1.5\n")
    assert "d2l-prep-en" not in missing_pdfs(("en", "zh"), tmp_path)
    (tmp_path / "pdf" / "d2l-prep-zh.pdf").write_bytes(b"%PDF-1.5\n")
    assert missing_pdfs(("en", "zh"), tmp_path) == ""


@pytest.mark.parametrize("book", BOOKS)
def test_top_of_page_template_shows_the_links_only_with_a_repository(
    book: str,
) -> None:
    """The template furo includes beside the language switcher (Jinja, as Sphinx)."""
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(DOCS / "_templates"), autoescape=True)
    template = env.get_template("components/edit-this-page.html")
    links = repo_links("https://example.org/r", book, "calculus", ".md")
    page = BeautifulSoup(
        template.render(other_books=[], repo_links=links), "html.parser"
    )
    hrefs = {a.get_text(): a["href"] for a in page.select(".repo-links a")}
    edit = "Edit this page" if book == "en" else "编辑此页"
    report = "Report a problem" if book == "en" else "报告问题"
    assert hrefs == {
        edit: f"https://example.org/r/blob/main/docs/{book}/calculus.md",
        report: "https://example.org/r/issues/new",
    }
    bare = template.render(other_books=[], repo_links=repo_links("", book, "x", ".md"))
    assert "repo-links" not in bare


# -- Numbered figures ------------------------------------------------------------

# The caption number in each book's words: "Figure 4.2" / "图 4.2", a chapter
# number (a letter on the appendix pages: "Figure A.1") and the figure's place
# in it.
FIGURE_NUMBER = {"en": r"Figure (\d+|[A-Z])\.\d+", "zh": r"图 (\d+|[A-Z])\.\d+"}
_FIGURE_NAME = re.compile(r"^ {4}name: (\S+)$", re.MULTILINE)


def figure_labels(book: str, page: str) -> list[str]:
    """The figure names a page's source gives, in order."""
    return _FIGURE_NAME.findall((DOCS / book / f"{page}.md").read_text("utf-8"))


def caption_problems(html: Path, book: str) -> list[str]:
    """What is wrong with the captions of a built page's images, one line each."""
    article = soup(html).find("article")
    assert article is not None, f"{html} has no article"
    number = re.compile(FIGURE_NUMBER[book])
    problems = []
    for img in article.find_all("img"):
        figure = img.find_parent("figure")
        caption = figure.find("figcaption") if figure else None
        if caption is None:
            problems.append(f"{img.get('src')}: no caption")
            continue
        label = caption.select_one(".caption-number")
        text = caption.select_one(".caption-text")
        if label is None or not number.fullmatch(label.get_text().strip()):
            problems.append(f"{figure.get('id')}: caption number {label}")
        words = text.get_text() if text else ""
        if not words.strip() or (book == "zh") != bool(
            re.search(r"[\u4e00-\u9fff]", words)
        ):
            problems.append(f"{figure.get('id')}: caption text {words!r}")
    return problems


def test_figure_labels_are_the_same_in_both_books() -> None:
    for page in (p.stem for p in (DOCS / "en").glob("*.md")):
        labels = figure_labels("en", page)
        assert labels == figure_labels("zh", page), page
        assert all(label.startswith(f"fig-{page}-") for label in labels), labels


@pytest.mark.build
@pytest.mark.parametrize("book", BOOKS)
def test_every_figure_has_a_numbered_caption(built_site: Path, book: str) -> None:
    problems, ids = [], {}
    for html in sorted((built_site / book).glob("*.html")):
        if not (DOCS / book / f"{html.stem}.md").is_file():
            continue  # Sphinx's own pages (genindex, search, py-modindex)
        problems += [f"{html.name}: {p}" for p in caption_problems(html, book)]
        figures = soup(html).select("article figure[id^=fig-]")
        ids[html.stem] = [figure["id"] for figure in figures]
    assert problems == []
    assert sum(map(len, ids.values())) == 29  # 26 in the chapters, 3 on the API page
    for page, found in ids.items():
        assert found == figure_labels("en", page), page
