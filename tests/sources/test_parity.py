"""The English and Chinese books are the same book: pages, code and structure."""

from __future__ import annotations

import pytest

from d2l_book.sources.cells import PageError, read_code_cells
from d2l_book.sources.twins import (
    check_colon_blocks,
    front_matter,
    front_matter_yaml,
    structure,
    structure_difference,
)
from tests.book import DOCS, pages


def test_every_page_exists_in_both_languages() -> None:
    en = {p.name for p in (DOCS / "en").glob("*.md")}
    zh = {p.name for p in (DOCS / "zh").glob("*.md")}
    assert en == zh, f"only in en: {sorted(en - zh)}; only in zh: {sorted(zh - en)}"
    assert "index.md" in en


@pytest.mark.parametrize("page", pages())
def test_code_cells_are_identical(page: str) -> None:
    en = read_code_cells(DOCS / "en" / f"{page}.md")
    zh = read_code_cells(DOCS / "zh" / f"{page}.md")
    assert len(en) == len(zh), f"{page}: {len(en)} code cells in en, {len(zh)} in zh"
    for number, (a, b) in enumerate(zip(en, zh, strict=True), start=1):
        assert a.source == b.source, (
            f"{page}: code cell {number} differs (en line {a.line}, zh line {b.line})"
        )
        assert a.tags == b.tags, f"{page}: tags of code cell {number} differ"


def without_figure_text(matter: str) -> str:
    """Front matter without its ``figure_text:`` block (the zh page's own key).

    The zh page's figures are drawn again with the strings of that table
    (d2l_book/sphinxext/figure_text.py); the en page has no such key.
    """
    lines = matter.splitlines(keepends=True)
    kept, inside = [], False
    for line in lines:
        if line.startswith("figure_text:"):
            inside = True
            continue
        if inside and line.startswith((" ", "\t")):
            continue
        inside = False
        kept.append(line)
    return "".join(kept)


@pytest.mark.parametrize("page", pages())
def test_front_matter_and_structure_match(page: str) -> None:
    en = (DOCS / "en" / f"{page}.md").read_text(encoding="utf-8")
    zh = (DOCS / "zh" / f"{page}.md").read_text(encoding="utf-8")
    assert "figure_text:" not in front_matter(en), f"{page}: figure_text in en"
    assert front_matter(en) == without_figure_text(front_matter(zh)), (
        f"{page}: front matter differs"
    )
    en_levels, en_labels = structure(en)
    zh_levels, zh_labels = structure(zh)
    assert en_levels == zh_levels, f"{page}: heading levels differ"
    assert en_labels == zh_labels, f"{page}: (labels)= differ"
    assert en_levels and en_levels[0] == 1, f"{page}: must start with a # title"


def test_only_the_figure_text_block_is_set_aside() -> None:
    matter = (
        '---\nfile_format: mystnb\nfigure_text:\n  "loss": "损失"\n'
        '  "epoch": "迭代周期"\nkernelspec:\n  name: python3\n---\n'
    )
    assert without_figure_text(matter) == (
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n---\n"
    )


def test_structure_reader_skips_code() -> None:
    text = "# Title\n(lab)=\n## A\n```python\n# not a heading\n```\n### B\n"
    assert structure(text) == ([1, 2, 3], ["lab"])


def test_the_first_outline_difference_is_named_with_its_line() -> None:
    en = ("docs/en/p.md", "# T\n(lab)=\n## A\n```\n## code\n```\n## B\n")
    assert structure_difference(en, ("docs/zh/p.md", en[1])) == ""
    zh = ("docs/zh/p.md", "# T\n(lab)=\n## A\n\n### B\n")
    assert structure_difference(en, zh) == (
        "docs/en/p.md:7 has a level-2 heading (##), docs/zh/p.md:5 has a level-3 "
        "heading (###): twin pages must have the same headings"
    )


def test_the_front_matter_ends_at_its_closing_line() -> None:
    assert front_matter("---\n---\n# T\n") == "---\n---\n"
    closed = "---\na: 1\nb: 2\n---  \n"
    assert front_matter(closed + "# T\n---\n") == closed
    assert front_matter_yaml(closed + "# T\n") == "a: 1\nb: 2\n"
    assert front_matter("# T\n---\na: 1\n---\n") == ""
    assert front_matter_yaml("---\na: 1\n...\n# T\n") == "a: 1\n"  # YAML's end mark
    with pytest.raises(PageError, match=r"^p\.md:1: .* never closed"):
        front_matter("---\na: 1\n# T\n", "p.md")


def test_a_code_cell_inside_a_colon_block_is_named() -> None:
    cell = "```{code-cell} ipython3\nx = 1\n```\n"
    closed = f"::::{{tab-set}}\n:::{{tab-item}} A\nText.\n:::\n::::\n\n{cell}"
    check_colon_blocks(closed)  # the blocks closed: nothing to say
    shown = f"````md\n:::{{note}}\n````\n\n{cell}"
    check_colon_blocks(shown)  # a ::: shown in a code block opens nothing
    nested = f"::::{{tab-set}}\n:::{{tab-item}} A\nText.\n::::\n\n{cell}"
    check_colon_blocks(nested)  # :::: closes the tab set, its item with it
    reopened = f":::{{note}}\n:::{{tip}}\nx\n:::\n:::\n\n{cell}"
    with pytest.raises(PageError, match=r"^p\.md:7: .* opened on line 5,"):
        check_colon_blocks(reopened, "p.md")  # the second ::: opens a block
    outer_open = f"::::{{tab-set}}\n:::{{tab-item}} A\nText.\n:::\n\n{cell}"
    with pytest.raises(PageError, match=r"^p\.md:6: .* opened on line 1,"):
        check_colon_blocks(outer_open, "p.md")


def test_a_colon_block_never_closed_is_named() -> None:
    with pytest.raises(
        PageError, match=r"^p\.md:3: .* never closed.* 4 or more colons$"
    ):
        check_colon_blocks("# T\n\n::::{tab-set}\n:::{tab-item} A\n:::\n", "p.md")
    with pytest.raises(PageError, match=r"^p\.md:5: .* never closed"):
        check_colon_blocks("# T\n```\n:::\n```\n:::{note}\nx\n", "p.md")
    check_colon_blocks("# T\n:::{note}\nA note.\n:::   \n")  # a bare line closes
    # Neither an HTML comment nor a list item holds a top-level block.
    check_colon_blocks("<!--\n:::{note}\nDraft\n-->\n\n- item\n\n  :::{note}\n  x\n")
    with pytest.raises(PageError, match=r"^p\.md:2: .* never closed"):
        check_colon_blocks("<!-- a -->\n:::{note}\nx\n", "p.md")  # comment ended
    check_colon_blocks(":::{note}\n<!--\n:::\n-->\n")  # a block's ::: ends it
