"""Execute one shard of the pages into the execution cache, for CI runners.

    python -m d2l_book execute --shard I/N   execute shard I of N (default 1/1: all)

At full size the book is too much to execute on one machine, so the Pages
workflow spreads execution over N runners: each runs ``execute --shard I/N``
in its own checkout, which fills that checkout's cache
(``settings.execution_cache()``, ``docs/_build/.jupyter_cache/<key>``) as a
build does, then uploads ``docs/_build/.jupyter_cache``; one more job runs
``merge`` on the downloads (``merge.py``) and ``build --cached-only``.

A shard is a set of page names: the en and zh twins of a page share their
code, so they are in the same shard and their code runs once.  The split
depends on the sources alone (never on what a runner's cache holds), so
every runner computes the same one: names sorted by their code's size, the
largest first (ties by name), each given to the shard with the least code
so far (the lowest-numbered on a tie).  Code size stands for the time a
page takes, as it does for the order in which the build starts pages.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from d2l_book.console import say
from d2l_book.settings import BOOKS, DOCS


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` as ``(I, N)``, with 1 <= I <= N; ValueError otherwise."""
    if not isinstance(text, str):
        raise TypeError(f"a shard is a str 'I/N', got {type(text).__name__}")
    index, slash, count = text.strip().partition("/")
    if not (slash and index.isdigit() and count.isdigit()):
        raise ValueError(f"a shard is 'I/N' (e.g. 2/4), got {text!r}")
    if not 1 <= int(index) <= int(count):
        raise ValueError(f"a shard I/N needs 1 <= I <= N, got {text!r}")
    return int(index), int(count)


def split(costs: dict[str, int], count: int) -> list[list[str]]:
    """The names in ``costs`` in ``count`` shards of near-equal total cost.

    Deterministic: see the module's docstring.  Each shard lists its names sorted.
    """
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for name in sorted(costs, key=lambda name: (-costs[name], name)):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        shards[lightest].append(name)
        loads[lightest] += costs[name]
    return [sorted(names) for names in shards]


def code_size(page: Path) -> int:
    """Characters of code in a page's code cells."""
    from d2l_book.sources.cells import parse_code_cells

    text = page.read_text(encoding="utf-8")
    return sum(len(cell.source) for cell in parse_code_cells(text, str(page)))


def shard_pages(
    index: int, count: int, books: tuple[str, ...] = tuple(BOOKS)
) -> list[Path]:
    """The pages of both books in shard ``index`` of ``count`` (1-based)."""
    first = DOCS / books[0]
    costs = {page.stem: code_size(page) for page in sorted(first.glob("*.md"))}
    names = split(costs, count)[index - 1]
    return sorted(DOCS / book / f"{name}.md" for book in books for name in names)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``execute``'s options: ``--shard I/N``, ``--keep-going``."""
    parser.add_argument(
        "--shard",
        default="1/1",
        type=_shard_argument,
        help="execute shard I of N of the pages (default 1/1: every page)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="execute every page, even after a failure",
    )


def _shard_argument(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(args: argparse.Namespace) -> int:
    """``python -m d2l_book execute --shard I/N``: 0 if every page of the shard ran."""
    from d2l_book.build import execute_books, run_stoppable

    index, count = args.shard
    books = tuple(BOOKS)
    pages = shard_pages(index, count, books)
    names = sorted({page.stem for page in pages})
    say(f"shard {index}/{count}: {len(names)} page(s): {', '.join(names) or 'none'}")
    # Even with no page, the cache is opened (made): every shard has one to upload.
    return run_stoppable(
        lambda: 0 if execute_books(books, args.keep_going, pages=pages) else 1
    )
