"""MyST prose → Jupyter Markdown (d2l_book/jupyter_markdown.py), without a build.

References are resolved here by a table of targets; on the built site,
``tests/site/test_notebooks.py`` checks the links that Sphinx's resolution gives.
"""

from __future__ import annotations

import pytest

from d2l_book.jupyter_markdown import Converter, UnsupportedSyntax

EXTENSIONS = ["amsmath", "colon_fence", "dollarmath", "deflist"]
SITE = "https://example.org/en/"
TARGETS = {
    ("ref", "chap-calculus"): ("Calculus", f"{SITE}calculus.html#chap-calculus"),
    ("term", "tensor"): ("tensor", f"{SITE}glossary.html#term-tensor"),
    ("doc", "api"): ("API", f"{SITE}api.html"),
    ("module", "d2l_prep.plotting"): (
        "d2l_prep.plotting",
        f"{SITE}api.html#module-d2l_prep.plotting",
    ),
}


def resolve(role: str, text: str) -> tuple[str, str | None]:
    explicit = text.endswith(">") and "<" in text
    title, target = (
        (text[: text.rindex("<")].strip(), text[text.rindex("<") + 1 : -1])
        if explicit
        else (text, text)
    )
    label, url = TARGETS.get((role, target), (title, None))
    return (title if explicit else label), url


@pytest.fixture(scope="module")
def convert() -> Converter:
    return Converter(EXTENSIONS, resolve, {"module": "Docs of {}.", "contents": ""})


def test_roles_become_links_and_labels_vanish(convert: Converter) -> None:
    text = (
        "(sec-x)=\n## Title\n\nSee {ref}`chap-calculus`, a {term}`tensor`,\n"
        "{term}`tensors <tensor>`, the {doc}`API page <api>` and {term}`nothing`."
    )
    assert convert.convert(text) == (
        "## Title\n\nSee [Calculus](https://example.org/en/calculus.html#chap-calculus),"
        " a [tensor](https://example.org/en/glossary.html#term-tensor),\n"
        "[tensors](https://example.org/en/glossary.html#term-tensor), the "
        "[API page](https://example.org/en/api.html) and nothing."
    )


def test_a_solution_is_a_closed_details_block(convert: Converter) -> None:
    text = (
        "1. An exercise.\n\n:::{dropdown} 答案\n:class-container: solution\n\n"
        "The answer is $x^2$, see {ref}`chap-calculus`.\n:::\n"
    )
    out = convert.convert(text)
    assert out.startswith("1. An exercise.\n\n<details><summary>答案</summary>\n\n")
    assert "The answer is $x^2$, see [Calculus](" in out
    assert out.endswith("\n\n</details>")
    assert ":class-container:" not in out


def test_math_stays_dollar_math(convert: Converter) -> None:
    text = (
        "Inline $a_1 * b_2$ and\n\n$$\nx = 1\n$$ (eq-x)\n\n"
        "\\begin{align}\na &= b\n\\end{align}\n\n```{math}\n:label: m\ny = 2\n```\n"
    )
    assert convert.convert(text) == (
        "Inline $a_1 * b_2$ and\n\n$$\nx = 1\n$$\n\n\\begin{align}\na &= b\n"
        "\\end{align}\n\n$$\ny = 2\n$$"
    )


def test_other_directives_become_markdown(convert: Converter) -> None:
    text = (
        "```{code-block} python\nprint(1)\n```\n\n"
        ":::{note}\nMind the {term}`tensor`.\n:::\n\n"
        "```{eval-rst}\n.. automodule:: d2l_prep.plotting\n   :members:\n```\n\n"
        "| a | b |\n|:--|--:|\n| $x$ | 2 |\n"
    )
    assert convert.convert(text) == (
        "```python\nprint(1)\n```\n\n> **Note**\n>\n> Mind the "
        "[tensor](https://example.org/en/glossary.html#term-tensor).\n\n"
        "- Docs of [`d2l_prep.plotting`](https://example.org/en/api.html#module-d2l_prep.plotting).\n\n"
        "| a | b |\n| :--- | ---: |\n| $x$ | 2 |"
    )


def test_a_cell_of_labels_only_is_empty(convert: Converter) -> None:
    assert convert.convert("(chap-x)=\n") == ""


def test_index_entries_vanish(convert: Converter) -> None:
    assert convert.convert("```{index} gamma ray\n```\n\nText.\n") == "Text."


@pytest.mark.parametrize(
    "text", ["```{tab-set}\nx\n```\n", "{abbr}`a (b)`\n", ":::\nplain\n:::\n"]
)
def test_unknown_syntax_is_refused(convert: Converter, text: str) -> None:
    with pytest.raises(UnsupportedSyntax):
        convert.convert(text)
