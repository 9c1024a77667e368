"""Read the code cells of a MyST markdown notebook page.

The book's pages are MyST-NB text notebooks: a code cell is a fenced block

    ```{code-cell} ipython3
    :tags: [solution]
    x + 1
    ```

with optional ``:key: value`` lines (or a ``---``-delimited YAML block) before
its source.  This small reader is shared by the ``#@save`` tooling and the
book's parity tests; it needs neither Sphinx nor Jupyter.
"""

from __future__ import annotations

import ast
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CodeCell",
    "PageError",
    "check_line_breaks",
    "page_lines",
    "read_code_cells",
    "parse_code_cells",
]


class PageError(ValueError):
    """A page the book cannot read; the message starts with ``page:line:``."""


_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\{code-cell\}(?P<lang>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def page_lines(text: str) -> list[str]:
    """A page's lines as Markdown and an editor count them.

    Split at ``\\n``, ``\\r\\n`` and ``\\r`` only: ``str.splitlines`` also
    splits at U+2028, form feeds and other characters that may sit in a code
    line's string literal, and would cut that line in two.
    """
    lines = _NEWLINE.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


# What str.splitlines breaks lines at, besides \n and \r: MyST-NB's reader
# splits the page with it, where Markdown's line numbers do not count them.
_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def check_line_breaks(text: str, where: str = "the page") -> None:
    """Raise :class:`PageError` at the first character MyST-NB takes for a line
    break and Markdown does not (U+2028, a form feed, ...).

    MyST-NB cuts a page into cells by Markdown's line numbers, then picks the
    lines out of ``str.splitlines``: past such a character the two disagree,
    and a cell gets the wrong lines (in a string literal: a SyntaxError).
    """
    found = _OTHER_BREAKS.search(text)
    if found is None:
        return
    line = len(_NEWLINE.findall(text, 0, found.start())) + 1  # as page_lines
    code = f"U+{ord(found.group()):04X}"
    name = unicodedata.name(found.group(), "")
    raise PageError(
        f"{where}:{line}: {code} {name}".rstrip()
        + " is a line break to MyST-NB but not to Markdown, so the page would be "
        f"misread: remove it (in code, write it as \\u{ord(found.group()):04x})"
    )


@dataclass(frozen=True)
class CodeCell:
    """One code cell of a page.

    Attributes
    ----------
    source : str
        The cell's code, without the fence and option lines.
    tags : tuple of str
        The cell's tags (``raises-exception``, ``solution``, ...).
    line : int
        1-based line number of the opening fence in the page.
    options : dict
        All ``:key: value`` options of the cell, as written.
    """

    source: str
    tags: tuple[str, ...] = ()
    line: int = 0
    options: dict[str, str] = field(default_factory=dict, compare=False)


@functools.lru_cache(maxsize=256)
def _literal(value: str) -> Any:
    """``value`` as a Python literal (a list as a tuple, as the cache shares it),
    or None.  A page has a few kinds of tags, each written many times, and a
    build reads every page's tags twice."""
    try:
        parsed = ast.literal_eval(value) if value.startswith("[") else None
    except (ValueError, SyntaxError):
        return None
    return tuple(parsed) if isinstance(parsed, list) else parsed


def _parse_tags(value: str, where: str) -> tuple[str, ...]:
    tags = _literal(value)
    if tags is None:
        # YAML flow lists without quotes: [a, b-c]
        inner = value.strip()
        if not (inner.startswith("[") and inner.endswith("]")):
            raise PageError(f"{where}: tags must be a list like [a, b], got {value!r}")
        tags = [t.strip().strip("'\"") for t in inner[1:-1].split(",") if t.strip()]
    if not all(isinstance(t, str) for t in tags):
        raise PageError(f"{where}: tags must be strings, got {value!r}")
    return tuple(tags)


def closes_fence(line: str, fence: str) -> bool:
    """True if ``line`` closes a block opened with ``fence`` (CommonMark rule)."""
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def parse_code_cells(text: str, name: str = "<page>") -> list[CodeCell]:
    """Return the code cells of a MyST notebook given as text.

    Parameters
    ----------
    text : str
        The page's markdown.
    name : str
        How to name the page in error messages.

    Raises
    ------
    ValueError
        If a code cell is not closed or its options cannot be read.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    lines = page_lines(text)
    cells: list[CodeCell] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, start = match["fence"], i + 1
        where = f"{name}:{start}"
        i += 1
        options: dict[str, str] = {}
        if i < len(lines) and lines[i].strip() == "---":
            i += 1
            while i < len(lines) and lines[i].strip() != "---":
                key, _, value = lines[i].partition(":")
                options[key.strip()] = value.strip()
                i += 1
            i += 1
        else:
            while i < len(lines) and (option := _OPTION.match(lines[i])):
                options[option["key"]] = option["value"].strip()
                i += 1
        body: list[str] = []
        while i < len(lines) and not closes_fence(lines[i], fence):
            body.append(lines[i])
            i += 1
        if i >= len(lines):
            raise PageError(f"{where}: code cell opened with {fence} is never closed")
        i += 1
        tags = _parse_tags(options["tags"], where) if "tags" in options else ()
        cells.append(CodeCell("\n".join(body), tags, start, options))
    return cells


def read_code_cells(path: str | Path) -> list[CodeCell]:
    """Return the code cells of the MyST notebook page at ``path``."""
    page = Path(path)
    return parse_code_cells(page.read_text(encoding="utf-8"), str(page))
