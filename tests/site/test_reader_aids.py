"""Reader aids: glossary tips on term links, links to where the book lives, PDF notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from d2l_book.build import missing_pdfs
from d2l_book.settings import repo_url
from d2l_book.sphinxext.bilingual import repo_links
from d2l_book.sphinxext.glossary_tips import first_sentence
from tests.book import BOOKS, DOCS


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


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
