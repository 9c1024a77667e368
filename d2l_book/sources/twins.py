"""The outline of a page, which its twin in the other book must share.

A page of the English book and its Chinese twin have the same section
structure (heading levels, in order) and the same ``(label)=`` targets, so
that a reference resolves alike in both books, and byte-identical code
cells (each page runs once for both books). The build checks both before it
executes anything (:func:`check_books`), and so does
``tests/sources/test_parity.py``; both read pages with :func:`outline`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from d2l_book.settings import BOOKS
from d2l_book.sources.cells import PageError, closes_fence, page_lines, parse_code_cells

__all__ = [
    "Mark",
    "check_books",
    "check_colon_blocks",
    "front_matter",
    "front_matter_yaml",
    "outline",
    "prose_lines",
    "structure",
    "structure_difference",
]

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_COLON_FENCE = re.compile(r"^ {0,3}(:{3,})(.*)$")
_CLOSING = re.compile(r"^(?:-{3,}|\.{3})[ \t]*$", re.MULTILINE)  # as MyST reads it
_HEADING = re.compile(r"^(#{1,6})\s+\S")
_LABEL = re.compile(r"^\(([^()\s]+)\)=\s*$")
_COMMENT = re.compile(r"^ {0,3}<!--")  # an HTML comment: MyST's HTML block to -->


@dataclass(frozen=True)
class Mark:
    """A heading (``kind`` "heading", ``value`` its ``#``s) or a label target."""

    line: int
    kind: str
    value: str


def front_matter(text: str, where: str = "the page") -> str:
    """The page's ``---`` YAML block with its delimiters, or ``""``.

    Raises
    ------
    PageError
        If the block is never closed, naming ``where`` (``docs/en/page.md``)
        and its first line.
    """
    if not text.startswith("---\n"):
        return ""
    closing = _CLOSING.search(text, 4)
    if closing is None:
        raise PageError(f"{where}:1: the front matter opened with --- is never closed")
    end = text.find("\n", closing.end())
    return text if end < 0 else text[: end + 1]


def front_matter_yaml(text: str, where: str = "the page") -> str:
    """The YAML between the front matter's ``---`` lines (``""`` without one)."""
    block = front_matter(text, where)
    return block[4 : block.rstrip().rfind("\n") + 1] if block else ""


def _opens_comment(line: str) -> bool:
    """True if ``line`` starts an HTML comment that goes on past it."""
    start = _COMMENT.match(line)
    return start is not None and "-->" not in line[start.end() :]


def prose_lines(text: str, where: str = "the page") -> Iterator[tuple[int, str]]:
    """(line number, line) of the page outside its front matter, fenced blocks
    and HTML comments."""
    fence = None
    comment = False
    skipped = front_matter(text, where).count("\n")
    for number, line in enumerate(page_lines(text)[skipped:], start=skipped + 1):
        if fence is not None:
            if closes_fence(line, fence):
                fence = None
        elif comment:
            comment = "-->" not in line
        elif opening := _FENCE.match(line):
            fence = opening.group(1)
        elif _COMMENT.match(line):
            comment = _opens_comment(line)
        else:
            yield number, line


def check_colon_blocks(text: str, where: str = "the page") -> None:
    """Raise :class:`PageError` for a code cell inside a ``:::`` block, or a
    block never closed.

    MyST-NB runs only the code cells at a page's top level. One inside a
    ``:::`` directive (most often a block left unclosed above it) gets only
    MyST-NB's warning "Found an unexpected `code-cell`", which does not say
    which block holds it; this says which line opened it.  A block never
    closed silently takes the rest of the page into it; this names its line.
    As in MyST, a top-level block (opened at the line's start, not in a list
    item, a code block or an HTML comment) ends at the first bare line of at
    least as many colons as opened it; what it holds (nested blocks, code
    blocks) is its own.
    """
    block: tuple[int, int] | None = None  # (colons, line) of the open block
    fence = None  # a code block's fence, in or out of the block
    comment = False  # in an HTML comment (out of any block)
    skipped = front_matter(text, where).count("\n")
    for number, line in enumerate(page_lines(text)[skipped:], start=skipped + 1):
        colons = _COLON_FENCE.match(line)
        if block and colons and not colons.group(2).strip(" \t"):
            if len(colons.group(1)) >= block[0]:
                block, fence = None, None
        elif fence is not None:
            if closes_fence(line, fence):
                fence = None
        elif comment:
            comment = "-->" not in line
        elif block is None and _COMMENT.match(line):
            comment = _opens_comment(line)
        elif opening := _FENCE.match(line):
            if block and line.lstrip("`~").startswith("{code-cell}"):
                raise PageError(
                    f"{where}:{number}: this code cell is inside the ::: block "
                    f"opened on line {block[1]}, and MyST-NB runs only the code "
                    "cells outside such blocks: close the block before it"
                )
            fence = opening.group(1)
        elif colons and block is None and line.startswith(":"):
            block = (len(colons.group(1)), number)
    if block:
        raise PageError(
            f"{where}:{block[1]}: this ::: block is never closed, so MyST puts "
            "the rest of the page inside it: close it with a line of "
            f"{block[0]} or more colons"
        )


def outline(text: str, where: str = "the page") -> list[Mark]:
    """Headings and ``(label)=`` targets outside code blocks and front matter."""
    marks: list[Mark] = []
    for number, line in prose_lines(text, where):
        if heading := _HEADING.match(line):
            marks.append(Mark(number, "heading", heading.group(1)))
        elif label := _LABEL.match(line):
            marks.append(Mark(number, "label", label.group(1)))
    return marks


def structure(text: str) -> tuple[list[int], list[str]]:
    """Heading levels and ``(label)=`` targets, in order."""
    marks = outline(text)
    levels = [len(m.value) for m in marks if m.kind == "heading"]
    return levels, [m.value for m in marks if m.kind == "label"]


def _show(mark: Mark | None, what: str) -> str:
    if mark is None:
        return f"no more {what}"
    if mark.kind == "heading":
        return f"a level-{len(mark.value)} heading ({mark.value})"
    return f"the label ({mark.value})="


def structure_difference(first: tuple[str, str], second: tuple[str, str]) -> str:
    """The first difference of two twins' outlines, or ``""`` when they agree.

    Each argument is ``(name, text)``, the name (``docs/en/page.md``) starting
    the message with the line where the pages part.
    """
    outlines = [outline(text, name) for name, text in (first, second)]
    for kind, what in (("heading", "headings"), ("label", "(label)= targets")):
        a, b = ([m for m in marks if m.kind == kind] for marks in outlines)
        for index in range(max(len(a), len(b))):
            x = a[index] if index < len(a) else None
            y = b[index] if index < len(b) else None
            if x is None or y is None or x.value != y.value:
                where = [
                    f"{name}:{mark.line}" if mark else name
                    for (name, _), mark in zip((first, second), (x, y), strict=True)
                ]
                return (
                    f"{where[0]} has {_show(x, what)}, {where[1]} has {_show(y, what)}: "
                    f"twin pages must have the same {what}"
                )
    return ""


def _twin_problems(
    first: Path, second: Path, name: str, books: tuple[str, ...] = tuple(BOOKS)
) -> list[str]:
    """How page ``name`` of two books' folders differs: code cells, outline.

    A page that cannot be read raises :class:`PageError` if its book is among
    ``books``; one of another book (the live preview shows one book, and the
    author may be halfway through an edit of the other) is a problem, and the
    twins are not compared.
    """
    named = [
        (f"docs/{f.name}/{name}", (f / name).read_text(encoding="utf-8"))
        for f in (first, second)
    ]
    try:
        return _compare_twins(named, books)
    except PageError as error:
        if any(str(error).startswith(f"docs/{book}/") for book in books):
            raise
        return [f"{error} (not compared with its twin)"]


def _compare_twins(named: list[tuple[str, str]], books: tuple[str, ...]) -> list[str]:
    """:func:`_twin_problems` of two readable pages; the pages of ``books`` are
    read first, so that theirs is the error raised when both are unreadable."""

    def read_last(item: tuple[str, str]) -> bool:
        return item[0].split("/")[1] not in books

    cells = {}
    for label, text in sorted(named, key=read_last):
        check_colon_blocks(text, label)  # a PageError names the page
        cells[label] = parse_code_cells(text, label)
    (a_label, a_cells), (b_label, b_cells) = [(n, cells[n]) for n, _ in named]
    problems = []
    for number, (a, b) in enumerate(zip(a_cells, b_cells, strict=False), start=1):
        if (a.source, a.tags) != (b.source, b.tags):
            problems.append(
                f"{a_label}:{a.line} and {b_label}:{b.line}: "
                f"code cell {number} differs between the books"
            )
            break
    else:
        if len(a_cells) != len(b_cells):
            problems.append(
                f"{a_label} has {len(a_cells)} code cells, {b_label} has {len(b_cells)}"
            )
    if difference := structure_difference(*named):
        problems.append(difference)
    return problems


def check_books(docs: Path, books: tuple[str, ...] = tuple(BOOKS)) -> list[str]:
    """Problems that make the books in ``docs`` (``docs/en``, ``docs/zh``) differ.

    A page with no twin in the other book, a code cell that differs, or an
    outline that differs (headings or ``(label)=`` targets, see
    above); each names the page and the first difference.
    A page of ``books`` that cannot be read raises :class:`PageError`; its twin
    in a book not among ``books`` is only a problem (:func:`_twin_problems`).
    """
    folders = [docs / book for book in BOOKS if (docs / book).is_dir()]
    if len(folders) < 2 or not set(books) & set(BOOKS):
        return []
    problems = []
    names = [sorted(p.name for p in folder.glob("*.md")) for folder in folders]
    first, *others = folders
    for folder, pages in zip(others, names[1:], strict=True):
        for name in sorted(set(names[0]) ^ set(pages)):
            has = first if name in names[0] else folder
            problems.append(f"docs/{has.name}/{name} has no twin in the other book")
        for name in sorted(set(names[0]) & set(pages)):
            problems.extend(_twin_problems(first, folder, name, books))
    return problems
