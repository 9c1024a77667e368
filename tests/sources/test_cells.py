"""The code-cell reader shared by the save tool and the parity tests."""

from __future__ import annotations

import re

import pytest

from d2l_book.sources.cells import (
    CodeCell,
    PageError,
    check_line_breaks,
    page_lines,
    parse_code_cells,
)

PAGE = """\
# Title

```{code-cell} ipython3
x = 1
```

Prose with a plain block:

```python
not = a cell
```

````{code-cell} ipython3
:tags: [raises-exception, solution]
```nested```
y = 2
````

```{code-cell} ipython3
---
tags: [hide-input]
---
z = 3
```
"""


def test_reads_sources_tags_and_lines() -> None:
    cells = parse_code_cells(PAGE)
    assert [c.source for c in cells] == ["x = 1", "```nested```\ny = 2", "z = 3"]
    assert [c.tags for c in cells] == [
        (),
        ("raises-exception", "solution"),
        ("hide-input",),
    ]
    assert [c.line for c in cells] == [3, 13, 19]


def test_quoted_tags() -> None:
    (cell,) = parse_code_cells(
        "```{code-cell} ipython3\n:tags: ['a', \"b\"]\npass\n```\n"
    )
    assert cell == CodeCell("pass", ("a", "b"), 1)


def test_unclosed_cell_is_an_error() -> None:
    with pytest.raises(ValueError, match="never closed"):
        parse_code_cells("```{code-cell} ipython3\nx = 1\n", "page.md")


def test_text_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="text must be a str"):
        parse_code_cells(b"```")  # type: ignore[arg-type]


def test_lines_are_counted_as_markdown_counts_them() -> None:
    assert page_lines("a\r\nb\rc\nd\u2028e\n") == ["a", "b", "c", "d\u2028e"]
    assert page_lines("a\n\n") == ["a", ""] and page_lines("") == []
    (cell,) = parse_code_cells("# T\f\n```{code-cell} ipython3\nx = 1\n```\n")
    assert cell.line == 2


@pytest.mark.parametrize(("char", "name"), [("\u2028", "LINE SEPARATOR"), ("\f", "")])
def test_a_character_myst_nb_breaks_lines_at_is_named(char: str, name: str) -> None:
    check_line_breaks("# T\r\n\tx\n")  # tabs and \r\n are as Markdown reads them
    code = re.escape(f"U+{ord(char):04X} {name}".rstrip())
    with pytest.raises(
        PageError, match=rf"^p\.md:3: {code} is a line break to MyST-NB"
    ):
        check_line_breaks(f"# T\n\nx = '{char}'\n", "p.md")
