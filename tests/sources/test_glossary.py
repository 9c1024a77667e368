"""The glossaries: one table and one definition per term, in both books, each
naming the chapter that really introduces the term."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from d2l_book.sources.contents import chapters
from tests.book import DOCS

_TERM_LINK = re.compile(r"\{term\}`([^`]*)`")
_TARGET = re.compile(r"<([^<>]+)>\s*$")
_REF = re.compile(r"\{ref\}`([^`]+)`")
# The table row's cells, the term link is in the column of the book's language.
_ROW = re.compile(r"^\|\s*(.+?)\s*\|\s*(.+?)\s*\|\s*\{ref\}`(chap-[^`]+)`\s*\|$")
# Where a definition says which chapter introduces its term.
_INTRODUCED = {
    "en": re.compile(r"Introduced\s+in\s+\{ref\}`(chap-[^`]+)`"),
    "zh": re.compile(r"在\{ref\}`(chap-[^`]+)`一章"),
}
# The line of a definition that gives the term in the other language.
_OTHER_NAME = {
    "en": re.compile(r"^\*\*Chinese:\*\*\s*([^.(]+?)\s*[.(]"),
    "zh": re.compile(r"^\*\*英文\*\*：(.+?)。"),
}


@dataclass(frozen=True)
class Entry:
    """One definition of a ``{glossary}`` block: its names and its text."""

    names: tuple[str, ...]
    text: str


def term_target(link: str) -> str:
    """The glossary term a ``{term}`` link points to, as Sphinx matches it."""
    target = _TARGET.search(link)
    name = target.group(1) if target else link
    return " ".join(name.split()).lower()


def glossary_entries(text: str) -> list[Entry]:
    """The entries of the page's ``{glossary}`` block, in page order."""
    block = text.split("```{glossary}\n", 1)[1].split("\n```", 1)[0]
    entries: list[Entry] = []
    names: list[str] = []
    body: list[str] = []
    for line in [*block.splitlines(), ""]:
        if line and not line[0].isspace():
            if body:
                entries.append(Entry(tuple(names), " ".join(body)))
                names, body = [], []
            names.append(line.strip())
        elif line.strip():
            body.append(line.strip())
    if body:
        entries.append(Entry(tuple(names), " ".join(body)))
    return entries


def table_rows(text: str) -> list[tuple[str, str, str]]:
    """(English, 中文, chapter) for each row of the terms-by-chapter table."""
    rows = []
    for line in text.splitlines():
        if row := _ROW.match(line):
            english, chinese, chapter = row.groups()
            english = _TERM_LINK.sub(r"\1", english)
            chinese = _TERM_LINK.sub(r"\1", chinese)
            rows.append((english, chinese, chapter))
    return rows


def chapter_label(page: Path) -> str:
    label = re.search(r"^\((chap-[^()]+)\)=$", page.read_text(encoding="utf-8"), re.M)
    assert label, f"{page} has no (chap-...)= label"
    return label.group(1)


def glossary(book: str) -> str:
    return (DOCS / book / "glossary.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("book", ["en", "zh"])
def test_table_and_definitions_list_the_same_terms(book: str) -> None:
    text = glossary(book)
    entries = glossary_entries(text)
    column = 0 if book == "en" else 1
    rows = {row[column].lower(): row for row in table_rows(text)}
    headwords = {entry.names[0].lower(): entry for entry in entries}
    assert len(rows) == len(table_rows(text)), f"{book}: a term has two table rows"
    assert sorted(rows) == sorted(headwords), (
        f"{book}: only in the table: {sorted(set(rows) - set(headwords))}; "
        f"only defined: {sorted(set(headwords) - set(rows))}"
    )
    for name, entry in headwords.items():
        english, chinese, chapter = rows[name]
        introduced = _INTRODUCED[book].findall(entry.text)
        assert introduced == [chapter], (
            f"{book}: {name!r} is in the table under {chapter}, its definition says {introduced}"
        )
        other = _OTHER_NAME[book].match(entry.text)
        assert other, (
            f"{book}: {name!r} does not give its name in the other language first"
        )
        assert other.group(1) == (chinese if book == "en" else english), (
            f"{book}: {name!r} gives {other.group(1)!r}, the table {chinese if book == 'en' else english!r}"
        )


def test_both_glossaries_have_the_same_table() -> None:
    assert table_rows(glossary("en")) == table_rows(glossary("zh"))


@pytest.mark.parametrize("book", ["en", "zh"])
def test_each_term_is_introduced_where_the_glossary_says(book: str) -> None:
    """The chapter a term is listed under is the first one that links it."""
    entries = glossary_entries(glossary(book))
    headword = {
        name.lower(): entry.names[0].lower()
        for entry in entries
        for name in entry.names
    }
    first_chapter: dict[str, str] = {}
    for page in chapters(book):
        path = DOCS / book / f"{page}.md"
        for link in _TERM_LINK.findall(path.read_text(encoding="utf-8")):
            target = term_target(link)
            assert target in headword, (
                f"{book}/{page}: {{term}}`{link}` is not in the glossary"
            )
            first_chapter.setdefault(headword[target], chapter_label(path))
    column = 0 if book == "en" else 1
    for row in table_rows(glossary(book)):
        name, chapter = row[column].lower(), row[2]
        assert name in first_chapter, f"{book}: no chapter links {name!r}"
        assert first_chapter[name] == chapter, (
            f"{book}: {name!r} is listed under {chapter}, but {first_chapter[name]} links it first"
        )


def test_term_links_resolve_like_sphinx() -> None:
    assert term_target("Forward mode <forward mode>") == "forward mode"
    assert term_target("standard\ndeviation") == "standard deviation"
    assert term_target("相互独立 <独立性>") == "独立性"
    entries = glossary_entries("```{glossary}\nA b\nAb\n  x.\n  y.\n\nc\n  z.\n```\n")
    assert entries == [Entry(("A b", "Ab"), "x. y."), Entry(("c",), "z.")]
