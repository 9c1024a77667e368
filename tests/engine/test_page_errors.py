"""A page the book cannot read gives one message naming the page and line.

No traceback: the build and the ``#@save`` tool each print one line that says
which page, which line and what is wrong, and exit non-zero.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.engine.engine_book import SmallBook, page

pytestmark = pytest.mark.build

GOOD = page("Alpha", "print(1)")
BROKEN = {
    # the page, what the one message must say
    "front matter": (
        GOOD.replace("kernelspec:", "kernelspec: [oops"),
        "docs/en/alpha.md:4: the front matter is not valid YAML",
    ),
    "unclosed front matter": (
        GOOD.replace("Python 3\n---\n", "Python 3\n", 1),
        "docs/en/alpha.md:1: the front matter opened with --- is never closed",
    ),
    "unclosed fence": (
        GOOD.rstrip().removesuffix("```") + "\n\nMore prose.\n",
        "docs/en/alpha.md:12: code cell opened with ``` is never closed",
    ),
    "unclosed block": (
        GOOD.replace("```{code-cell}", ":::{note}\nA note.\n\n```{code-cell}", 1),
        "docs/en/alpha.md:15: this code cell is inside the ::: block opened on line 12",
    ),
    "block never closed": (
        GOOD + "\n:::{note}\nA note.\n\n## Summary\n",
        "docs/en/alpha.md:16: this ::: block is never closed",
    ),
    "line separator": (
        GOOD.replace("print(1)", 'print("a\u2028b")'),
        "docs/en/alpha.md:13: U+2028 LINE SEPARATOR is a line break to MyST-NB",
    ),
    "bad tags": (
        GOOD.replace("ipython3\nprint(1)", "ipython3\n:tags: solution\nprint(1)"),
        "docs/en/alpha.md:12: tags must be a list like [a, b]",
    ),
}


@pytest.fixture(scope="module")
def broken_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SmallBook]:
    books = {}
    for name, (text, _) in BROKEN.items():
        book = SmallBook(tmp_path_factory.mktemp(name.replace(" ", "-")))
        book.write("alpha.md", text)
        books[name] = book
    return books


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_build_names_the_broken_page_in_one_line(
    broken_books: dict[str, SmallBook], name: str
) -> None:
    result = broken_books[name].build()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("ERROR: " + BROKEN[name][1]), errors[0]


@pytest.mark.parametrize("name", ["unclosed fence", "bad tags"])
def test_the_save_tool_names_the_broken_page(
    broken_books: dict[str, SmallBook], name: str
) -> None:
    book = broken_books[name]
    (book.docs / "en" / "alpha.md").write_text(
        "#@save would be here\n" + BROKEN[name][0], encoding="utf-8"
    )
    result = subprocess.run(
        book.command("save", "--check", "--root", str(book.root)),
        cwd=book.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "alpha.md:13" in result.stderr, result.stderr


def test_no_page_reaches_myst_nb_with_a_break_it_misreads() -> None:
    # Any page the engine reads for execution, with a twin or without.
    from d2l_book.sources.cells import PageError
    from d2l_book.sphinxext.notebooks import read_page

    with pytest.raises(PageError, match=r"^docs/en/x\.md:2: U\+2028 LINE SEPARATOR"):
        read_page(Path("docs/en/x.md"), "# T\nText\u2028more.\n", set())


@pytest.mark.parametrize(
    ("broken", "books", "raised"),
    [
        ("zh", ("en",), False),  # the preview of en, the author editing zh
        ("en", ("zh",), False),
        ("zh", ("en", "zh"), True),  # a build of both books
        ("en", ("en",), True),
    ],
)
def test_only_the_books_read_stop_at_an_unreadable_page(
    tmp_path: Path,
    broken: str,
    books: tuple[str, ...],
    raised: bool,
) -> None:
    from d2l_book.sources.cells import PageError
    from d2l_book.sources.twins import check_books

    text, said = BROKEN["block never closed"]
    for book in ("en", "zh"):
        (tmp_path / book).mkdir()
        (tmp_path / book / "alpha.md").write_text(
            text if book == broken else GOOD, encoding="utf-8"
        )
    said = said.replace("docs/en/", f"docs/{broken}/")
    if raised:
        with pytest.raises(PageError, match=f"^{said}"):
            check_books(tmp_path, books)
    else:
        (problem,) = check_books(tmp_path, books)
        assert problem.startswith(said), problem
        assert problem.endswith("(not compared with its twin)"), problem


def test_a_page_of_the_book_read_raises_though_its_twin_is_unreadable_too(
    tmp_path: Path,
) -> None:
    from d2l_book.sources.cells import PageError
    from d2l_book.sources.twins import check_books

    for book, (text, _) in {
        "en": BROKEN["block never closed"],  # found by the first check...
        "zh": BROKEN["bad tags"],  # ...this one by the second
    }.items():
        (tmp_path / book).mkdir()
        (tmp_path / book / "alpha.md").write_text(text, encoding="utf-8")
    with pytest.raises(PageError, match=r"^docs/zh/alpha\.md:12: tags must be a list"):
        check_books(tmp_path, ("zh",))
