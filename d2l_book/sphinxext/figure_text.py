"""The Chinese book's figures speak Chinese, from the one execution of a page.

A page's code is the same in both books, so its figures draw English text.
The zh page's front matter holds a table, ``figure_text:``, from each exact
English string its figures draw (axis labels, legend entries, titles,
annotations) to its Chinese text.  In the build's kernels (never in a
reader's notebook or the package), every Matplotlib figure that is displayed
(``plt.show()``, the inline backend's flush at the end of a cell,
``display(fig)``, a figure as a cell's value) is sent twice: as usual, marked
for the English book, then drawn again with each string replaced through the
table and a CJK font after the figure's own fonts (so Latin text keeps its
font), marked for the Chinese book.  Each book's Sphinx (HTML and LaTeX alike)
shows only the outputs marked for it.

The table is part of the page's execution key (``jobs.code_key``), so an
edit of it executes the page again.  After a page runs, :func:`problems` fails
it, naming the zh page and the string, when an entry translates a string no
figure draws, or a zh figure still draws an English word that the table does
not translate (numbers, ``$math$``, single letters and code names like
``x.grad`` or ``sin(x)`` are not words; an entry mapping a string to itself
keeps it as it is).

The font: the first of :data:`CJK_FAMILIES` that Matplotlib can find, among
its own font list or the system's fonts (Debian's ``fonts-noto-cjk``);
without one, the build stops at once and says what to install.

Why patch Matplotlib for the second drawing rather than edit the figure's
artists: tick labels are set by their formatters while the figure is drawn,
so replaced texts would be overwritten; for the length of one drawing,
``Text.get_text`` answers through the table and ``FontProperties.get_family``
adds the CJK font, then both are restored.  MyST-NB has no hook to choose a
cell's outputs, so :func:`setup` wraps ``NotebookClientBase.code_cell_outputs``
(``tests/engine/test_engine.py`` pins the result).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TABLE_KEY = "figure_text"  # in the zh page's front matter (notebook metadata)
SOURCE_BOOK, TRANSLATED_BOOK = "en", "zh"
BOOK_KEY = "d2l_book"  # output metadata: the one book that shows this output
REPORT_KEY = "d2l_figure_text"  # output metadata: what the zh drawing drew
# Fonts with Simplified Chinese glyphs, in order of preference.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC")
_CJK_FILE = re.compile(r"CJK|SourceHan|NotoSans(?:SC|Mono)", re.IGNORECASE)
INSTALL_HINT = (
    "on Debian or Ubuntu: apt-get install fonts-noto-cjk "
    "(see the README's prerequisites)"
)
# A word: two or more Latin letters standing alone, not part of a code name
# (x.grad, sin(x), a_1, AddBackward0).
_WORD = re.compile(r"(?<![\w.])[A-Za-z]{2,}(?![\w(])")
_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
# PyTorch's names of the operations a computation graph's nodes show (a node's
# grad_fn name without "Backward0"): code, the same in both books.
OPERATION_NAMES = frozenset(
    "Abs Add Cat Clone Cos Div Dot Exp Expand Log Matmul Max Mean Min Mm Mul Mv "
    "Neg Pow Relu Select Sigmoid Sin Slice Sqrt Squeeze Stack Sub Sum Tanh "
    "Unsqueeze View".split()
)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


class FigureTextError(ValueError):
    """A page's ``figure_text`` table cannot be used."""


class MissingFontError(RuntimeError):
    """No CJK font is installed for the Chinese book's figures."""


# -- the build process ----------------------------------------------------------


def front_matter(text: str, where: str = "the page") -> dict[str, Any]:
    """The YAML front matter of a page's text ({} without one)."""
    import yaml  # type: ignore[import-untyped]  # noqa: PLC0415

    # Here, not at the top: a launched kernel loads this module from its file,
    # where d2l_book cannot be imported.
    from d2l_book.sources.twins import front_matter_yaml  # noqa: PLC0415

    data = yaml.safe_load(front_matter_yaml(text, where) or "{}")
    return data if isinstance(data, dict) else {}


def read_table(text: str, where: str) -> dict[str, str]:
    """The ``figure_text`` table of a page's text, checked; {} without one.

    Raises
    ------
    FigureTextError
        If the table is not a mapping of non-empty strings to non-empty
        strings (an unquoted ``yes:`` or ``1:`` is not a string).
    """
    table = front_matter(text, where).get(TABLE_KEY)
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise FigureTextError(
            f"{where}: {TABLE_KEY} must map English strings to Chinese ones, "
            f"got {type(table).__name__}"
        )
    for key, value in table.items():
        if not (isinstance(key, str) and key and isinstance(value, str) and value):
            raise FigureTextError(
                f"{where}: {TABLE_KEY} entry {key!r}: {value!r} must map a "
                "non-empty string to a non-empty string (quote both)"
            )
        if _MATH.search(value) and _CJK.search(value):
            raise FigureTextError(
                f"{where}: {TABLE_KEY} entry {key!r}: {value!r} mixes Chinese "
                "with $math$, which Matplotlib sets without Chinese glyphs: "
                "write the math in Unicode (f′(x), x², ∂z/∂x)"
            )
    return dict(table)


def twin(page: Path) -> Path:
    """The page of the Chinese book with the same name as ``page``."""
    return page.parent.parent / TRANSLATED_BOOK / page.name


def table_for(page: Path) -> dict[str, str]:
    """The table that applies to ``page``: its zh twin's (either book's page)."""
    path = twin(page)
    if not path.is_file():
        return {}
    return read_table(path.read_text(encoding="utf-8"), display(path))


def display(page: Path) -> str:
    parts = page.parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else str(page)


def table_digest(table: dict[str, str]) -> str:
    """A short hash of a table (kept in the cache record's data)."""
    text = json.dumps(table, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cjk_font(families: tuple[str, ...] = CJK_FAMILIES) -> tuple[str, str]:
    """(family, file) of the first of ``families`` Matplotlib can use.

    Matplotlib's font list is cached when it is first built; a font installed
    after that is found among the system's font files and added.

    Raises
    ------
    MissingFontError
        If none of ``families`` is installed, saying what to install.
    """
    from matplotlib import font_manager  # noqa: PLC0415

    def first() -> tuple[str, str] | None:
        known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
        for family in families:
            if family in known:
                return family, known[family]
        return None

    found = first()
    if found is None:
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(Path(path).name):
                font_manager.fontManager.addfont(path)
        found = first()
    if found is None:
        raise MissingFontError(
            "the Chinese book's figures need a CJK font, one of "
            f"{', '.join(families)}, and none is installed: {INSTALL_HINT}"
        )
    return found


def setup_code(table: dict[str, str], family: str, font_file: str) -> str:
    """Code a build kernel runs (silently) before the page's first cell."""
    return (
        "import importlib.util as _u, sys as _s\n"
        f"_spec = _u.spec_from_file_location('_d2l_figure_text', {__file__!r})\n"
        "_m = _u.module_from_spec(_spec)\n"
        "_s.modules[_spec.name] = _m\n"
        "_spec.loader.exec_module(_m)\n"
        f"_m.install({table!r}, {family!r}, {font_file!r})\n"
        "del _u, _s, _spec, _m\n"
    )


def problems(
    nb: Any, table: dict[str, str], lines: list[int] | None = None
) -> list[str]:
    """What is wrong with an executed page's figures, one message each.

    An entry of ``table`` that no figure drew, a string a zh figure drew in
    English that ``table`` does not translate, and an error that a cell shows
    without raising it (a figure that could not be drawn, for instance).
    ``lines`` are the zh page's code cells' lines, to name them.
    """

    def cells_at(numbers: list[int]) -> str:
        numbers = sorted(set(numbers))
        named = [
            f"{n} (line {lines[n - 1]})" if lines and n <= len(lines) else str(n)
            for n in numbers
        ]
        return ("code cell " if len(named) == 1 else "code cells ") + ", ".join(named)

    messages: list[str] = []
    used: set[str] = set()
    untranslated: dict[str, list[int]] = {}
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(cells, start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and "raises-exception" not in tags:
                messages.append(
                    f"{cells_at([number])} shows an error it did not raise: "
                    f"{output.get('ename')}: {output.get('evalue')}"
                )
            report = output.get("metadata", {}).get(REPORT_KEY)
            if report:
                used.update(report.get("used", []))
                for text in report.get("untranslated", []):
                    untranslated.setdefault(text, []).append(number)
    for text, numbers in untranslated.items():
        messages.append(
            f"a figure of {cells_at(numbers)} draws {text!r}, "
            f"which {TABLE_KEY} does not translate"
        )
    for key in sorted(set(table) - used):
        messages.append(f"{TABLE_KEY} translates {key!r}, which no figure draws")
    return messages


# -- the kernel -----------------------------------------------------------------


def english_words(text: str) -> list[str]:
    """The English words of a figure's string (none in ``$math$``, no
    operation names such as ``Mul``)."""
    words = _WORD.findall(_MATH.sub(" ", text))
    return [word for word in words if word not in OPERATION_NAMES]


def install(table: dict[str, str], family: str, font_file: str) -> None:
    """In a build kernel: send each figure displayed for both books."""
    from IPython import get_ipython  # noqa: PLC0415
    from matplotlib import font_manager  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("figure_text.install runs in an IPython kernel")
    if family not in {entry.name for entry in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(font_file)
    hook = shell.display_formatter.ipython_display_formatter
    hook.for_type(Figure, _FigureForBothBooks(shell, table, family))


class _FigureForBothBooks:
    """Display a figure as two outputs: English, then drawn through the table."""

    def __init__(self, shell: Any, table: dict[str, str], family: str) -> None:
        self.shell = shell
        self.table = table
        self.family = family

    def __call__(self, figure: Any) -> None:
        from IPython.display import publish_display_data  # noqa: PLC0415

        formatter = self.shell.display_formatter
        hook = formatter.ipython_display_formatter
        extra = _inline_metadata(figure)
        drawn: set[str] = set()
        hook.enabled = False  # format() below must not come back here
        try:
            data, metadata = formatter.format(figure)
            with speaking(self.table, self.family, drawn):
                data_zh, metadata_zh = formatter.format(figure)
        finally:
            hook.enabled = True
        report = {
            "used": sorted(drawn & set(self.table)),
            "untranslated": sorted(
                text for text in drawn if text not in self.table and english_words(text)
            ),
        }
        english = {**metadata, **extra, BOOK_KEY: SOURCE_BOOK}
        chinese = {
            **metadata_zh,
            **extra,
            BOOK_KEY: TRANSLATED_BOOK,
            REPORT_KEY: report,
        }
        for bundle, marks in ((data, english), (data_zh, chinese)):
            if bundle:
                publish_display_data(bundle, marks)  # type: ignore[no-untyped-call]


def _inline_metadata(figure: Any) -> dict[str, Any]:
    """The metadata matplotlib-inline gives a figure (``needs_background``)."""
    from matplotlib_inline import backend_inline  # noqa: PLC0415

    fetch = getattr(backend_inline, "_fetch_figure_metadata", None)
    return dict(fetch(figure) or {}) if fetch is not None else {}


@contextlib.contextmanager
def speaking(table: dict[str, str], family: str, drawn: set[str]) -> Iterator[None]:
    """While drawing: every text through ``table``, ``family`` after each font.

    ``drawn`` receives every visible text's own (English) string.
    """
    from matplotlib.font_manager import FontProperties  # noqa: PLC0415
    from matplotlib.text import Text  # noqa: PLC0415

    get_text, get_family = Text.get_text, FontProperties.get_family

    def translated(self: Text) -> str:
        text = get_text(self)
        if text and self.get_visible():
            drawn.add(text)
        return table.get(text, text)

    def with_cjk(self: FontProperties) -> list[str]:
        families = get_family(self)
        return families if family in families else [*families, family]

    Text.get_text = translated  # type: ignore[method-assign]
    FontProperties.get_family = with_cjk  # type: ignore[method-assign]
    try:
        yield
    finally:
        Text.get_text = get_text  # type: ignore[method-assign]
        FontProperties.get_family = get_family  # type: ignore[method-assign]


# -- Sphinx: each book shows its own outputs -------------------------------------


def shown_in(output: Any, book: str) -> bool:
    """True if ``output`` belongs in ``book`` (outputs without a mark: every book)."""
    mark = output.get("metadata", {}).get(BOOK_KEY)
    return mark is None or mark == book


def _show_own_outputs(app: Any) -> None:
    from myst_nb.core.execute.base import NotebookClientBase  # noqa: PLC0415

    book = getattr(app.config, "bilingual_book", SOURCE_BOOK)
    method = NotebookClientBase.code_cell_outputs
    original = getattr(method, "__wrapped__", method)

    @functools.wraps(original)
    def code_cell_outputs(self: Any, cell_index: int) -> tuple[int | None, list[Any]]:
        count, outputs = original(self, cell_index)
        return count, [output for output in outputs if shown_in(output, book)]

    NotebookClientBase.code_cell_outputs = code_cell_outputs


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _show_own_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
