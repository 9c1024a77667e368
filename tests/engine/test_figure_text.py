"""The zh drawing of a figure: its table, its words, its font (d2l_book/sphinxext/figure_text.py).

The build's use of it (one execution, each book its own figures, failures
naming the page) is in test_engine.py; here, the parts without a build.
"""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

from d2l_book.sphinxext import figure_text

HEADER = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Tangent line (x=1)", ["Tangent", "line"]),
        ("loss", ["loss"]),
        ("x", []),
        ("f(x) = 3x^2 - 4x", []),
        ("$\\mathrm{loss}(w)$", []),
        ("x.grad = 14.0", []),
        ("sin(x)", []),
        ("a_1 and b", ["and"]),
        ("AddBackward0", []),
        ("k = 0", []),
        ("1e-3", []),
        ("$f'(x)$ 的数值近似", []),
    ],
)
def test_words_are_latin_words_outside_math_and_code_names(
    text: str, words: list[str]
) -> None:
    assert figure_text.english_words(text) == words


def test_a_table_is_read_from_the_front_matter() -> None:
    text = HEADER + 'figure_text:\n  "loss": "损失"\n  epoch: 迭代周期\n---\n# T\n'
    assert figure_text.read_table(text, "p.md") == {"loss": "损失", "epoch": "迭代周期"}
    assert figure_text.read_table(HEADER + "---\n# T\n", "p.md") == {}


@pytest.mark.parametrize(
    "entries",
    [
        "  yes: 是\n",
        '  "loss": 1\n',
        '  "loss": ""\n',
        "  - loss\n",
        '  "$f\'(x)$ numerical": "$f\'(x)$ 的数值近似"\n',
    ],
)
def test_a_table_that_is_not_strings_to_strings_is_refused(entries: str) -> None:
    text = HEADER + "figure_text:\n" + entries + "---\n"
    with pytest.raises(figure_text.FigureTextError, match="p.md: figure_text"):
        figure_text.read_table(text, "p.md")


def svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def test_the_zh_drawing_translates_every_text_tick_labels_included() -> None:
    """Category tick labels are set while drawing: they are translated too."""
    family, _ = figure_text.cjk_font()
    # As in the book: text stays text, ids are reproducible.
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "test"})
    figure, axes = plt.subplots()
    axes.bar(["cat", "dog"], [1, 2], label="count")
    axes.set_xlabel("animal")
    axes.legend()
    english = svg(figure)
    drawn: set[str] = set()
    table = {"cat": "猫", "dog": "狗", "animal": "动物", "count": "数量"}
    get_text, get_family = Text.get_text, FontProperties.get_family
    with figure_text.speaking(table, family, drawn):
        chinese = svg(figure)
    assert (Text.get_text, FontProperties.get_family) == (get_text, get_family)
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", chinese)
    assert {"猫", "狗", "动物", "数量"} <= set(texts)
    assert not {"cat", "dog", "animal"} & set(texts)
    assert {"cat", "dog", "animal", "count"} <= drawn
    assert "'DejaVu Sans'" in chinese and f"'{family}'" in chinese
    # The figure itself is unchanged: drawn again, it speaks English.
    assert svg(figure) == english


def test_without_the_font_the_error_says_what_to_install() -> None:
    with pytest.raises(figure_text.MissingFontError) as error:
        figure_text.cjk_font(("No Such CJK Font",))
    assert "one of No Such CJK Font" in str(error.value)
    assert "apt-get install fonts-noto-cjk" in str(error.value)


def cell(*outputs: dict[str, object], tags: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(
        cell_type="code",
        get=lambda key, default=None: {
            "metadata": {"tags": list(tags)},
            "outputs": list(outputs),
        }.get(key, default),
    )


def zh_figure(used: list[str], untranslated: list[str]) -> dict[str, object]:
    report = {"used": used, "untranslated": untranslated}
    return {
        "output_type": "display_data",
        "metadata": {figure_text.BOOK_KEY: "zh", figure_text.REPORT_KEY: report},
    }


def test_problems_name_stale_entries_untranslated_words_and_hidden_errors() -> None:
    error = {"output_type": "error", "ename": "ValueError", "evalue": "bad label"}
    nb = SimpleNamespace(
        cells=[
            cell(zh_figure(["loss"], ["Tangent line"])),
            cell(zh_figure([], ["Tangent line"]), error),
            cell(error, tags=("raises-exception",)),
        ]
    )
    table = {"loss": "损失", "accuracy": "准确率"}
    assert figure_text.problems(nb, table, [10, 20, 30]) == [
        "code cell 2 (line 20) shows an error it did not raise: ValueError: bad label",
        "a figure of code cells 1 (line 10), 2 (line 20) draws 'Tangent line', "
        "which figure_text does not translate",
        "figure_text translates 'accuracy', which no figure draws",
    ]


@pytest.mark.parametrize(
    ("mark", "shown"), [(None, {"en", "zh"}), ("en", {"en"}), ("zh", {"zh"})]
)
def test_each_book_shows_the_outputs_marked_for_it(
    mark: str | None, shown: set[str]
) -> None:
    metadata = {} if mark is None else {figure_text.BOOK_KEY: mark}
    output = {"output_type": "display_data", "metadata": metadata}
    assert {b for b in ("en", "zh") if figure_text.shown_in(output, b)} == shown
