"""Build both books into ``docs/_build/html``.

    python -m d2l_book build                  strict build of en and zh + landing page
    python -m d2l_book build --execute-only   only fill the execution cache
    python -m d2l_book build --keep-going     execute every page even after a failure
    python -m d2l_book build --cached-only    fail, naming them, if pages would execute

All build state lives under ``docs/_build``: deleting it gives a cold build.

A page's code cells are identical in both books, so each page is executed
once: first the books are checked against each other, then every notebook
missing from the shared jupyter-cache is executed, one kernel per core, and
cached; then Sphinx renders the two books side by side (one process each),
finding every page in the cache.  One build at a time holds the build
folder's lock; SIGINT and SIGTERM stop every kernel and Sphinx process and
end the build with status 130 or 143.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from d2l_book import package_wheel, print_editions, processes, up_to_date
from d2l_book.console import problems_into, say
from d2l_book.processes import Interrupted
from d2l_book.render import _render, _shown
from d2l_book.settings import BOOKS, BUILD, DOCS, HTML
from d2l_book.sources.cells import PageError
from d2l_book.sources.twins import check_books


def raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def write_landing_page() -> None:
    """Copy the landing page (links to both books) to the root of the site."""
    HTML.mkdir(parents=True, exist_ok=True)
    for item in (DOCS / "_landing").iterdir():
        shutil.copy2(item, HTML / item.name)


_LOCKS: list[Any] = []  # this process's one lock object (it is reentrant)


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    """Hold the build folder's lock; wait (saying so) if another build has it."""
    from filelock import FileLock, Timeout

    if not _LOCKS:
        BUILD.mkdir(parents=True, exist_ok=True)
        _LOCKS.append(FileLock(BUILD / "build.lock"))
    lock = _LOCKS[0]
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"another build holds {lock.lock_file}: waiting for it")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def execute_books(
    books: tuple[str, ...],
    keep_going: bool = False,
    preview: bool = False,
    cached_only: bool = False,
    pages: list[Path] | None = None,
) -> bool:
    """Execute the books' notebooks missing from the shared cache; True if all ran.

    The public execution step: ``build`` and ``serve`` call it before Sphinx,
    and so can any other builder (e.g. LaTeX), which then finds every page in
    the cache.  Holds the build lock while it runs, and stops what a page's
    code left running (:func:`processes.stopping_orphans`).  Raises :class:`Interrupted`
    on SIGINT or SIGTERM, after stopping every kernel.  ``preview`` (serve)
    only warns when the books differ: an author edits one book at a time.
    ``cached_only`` executes nothing and fails, naming them, if pages would
    execute; ``pages`` (a shard, ``execute.py``) limits it to those pages.
    """
    unknown = sorted(set(books) - set(BOOKS))
    if unknown or not books:
        raise ValueError(f"books must be among {tuple(BOOKS)}, got {list(books)}")
    from d2l_book.execution import execute

    problems = check_books(DOCS, books)
    if problems:
        level = "WARNING" if preview else "ERROR"
        say(f"{level}: the books do not match:", *problems, sep="\n  ", problem=True)
        if not preview:
            return False
    if pages is None:
        pages = sorted(p for book in books for p in (DOCS / book).glob("*.md"))
    with build_lock(), processes.stopping_orphans():
        sweep_temporary_folders()
        workers = os.cpu_count() or 1
        return execute.execute_missing(pages, workers, keep_going, cached_only)


def sweep_temporary_folders() -> None:
    """Remove (and name) the kernels' temporary folders of builds that were killed."""
    from d2l_book.execution import kernels

    removed = kernels.sweep_stale_folders()
    if removed:
        say(
            "removed the temporary folders of a killed build:",
            *map(str, removed),
            sep="\n  ",
        )


def build(
    books: tuple[str, ...], keep_going: bool = False, cached_only: bool = False
) -> int:
    """Execute what the cache lacks, then render the books; an exit status.

    Nothing at all if nothing changed since the last build (:mod:`up_to_date`).
    """
    with build_lock():
        if up_to_date.unchanged(books):
            # The housekeeping of every build still runs: it changes nothing
            # the site is made from, and the stamp is taken after it.
            sweep_temporary_folders()
            prune_caches()
            up_to_date.record(books)
            say("nothing changed since the last build: the site is up to date")
            return _site_said(books)
        up_to_date.forget()
        if not execute_books(books, keep_going, cached_only=cached_only):
            return 1
        start = time.perf_counter()
        wheel = package_wheel.build_wheel(BUILD)  # before the notebooks name it
        status = _render(books)
        if status:
            return status
        write_landing_page()
        # Prune first: the notebooks zip packs every notebook left in the
        # book's folder, and Sphinx leaves a deleted page's notebook there.
        prune_site(books, {wheel.name})
        publish_downloads(books, wheel)
        print_editions.show_links(HTML)  # no link to a PDF the site lacks
        # The sitemap, the 404 page and the CSP of every page.
        from d2l_book.sphinxext.hosted_site import finish_site  # noqa: PLC0415

        finish_site(HTML, books)
        prune_build_state()
        up_to_date.record(books)
    say(f"rendering: {time.perf_counter() - start:.1f} s")
    return _site_said(books)


def _site_said(books: tuple[str, ...]) -> int:
    """Say where the site is, and which PDFs it lacks; status 0."""
    say(f"site: {HTML / 'index.html'}")
    missing = missing_pdfs(books)
    if missing:
        say(missing)
    return 0


def missing_pdfs(books: tuple[str, ...], site: Path = HTML) -> str:
    """One line naming the PDFs the site lacks ('' if none).

    The landing page and each book's home page link ``pdf/d2l-prep-<book>.pdf``
    only while the site holds it (``print_editions.show_links``); only
    ``nox -s pdf`` makes it.
    """
    absent = [
        f"pdf/d2l-prep-{book}.pdf"
        for book in books
        if not (site / "pdf" / f"d2l-prep-{book}.pdf").is_file()
    ]
    if not absent:
        return ""
    return (
        f"note: no page links {', '.join(absent)}, not in the site: "
        f"make {'it' if len(absent) == 1 else 'them'} with `nox -s pdf`"
    )


def notebooks_zip(book: str) -> Path:
    """Where a book's notebooks are packed: beside the PDFs, ``pdf/``."""
    if book not in BOOKS:
        raise ValueError(f"book must be one of {tuple(BOOKS)}, got {book!r}")
    return HTML / "pdf" / f"d2l-prep-{book}-notebooks.zip"


def publish_downloads(books: tuple[str, ...], wheel: Path) -> None:
    """The package's wheel in ``packages/``, each book's notebooks as a zip."""
    from d2l_book.sphinxext import notebooks

    package_wheel.publish(wheel, HTML)
    for book in books:
        notebooks.write_zip(HTML / book, notebooks_zip(book))


def prune_site(books: tuple[str, ...], packages: set[str] | None = None) -> None:
    """Remove (and name) what no cold build of the sources would have written."""
    from d2l_book import site_files

    sources = {book: {p.stem for p in (DOCS / book).glob("*.md")} for book in books}
    landing = {p.name for p in (DOCS / "_landing").iterdir()}
    removed = site_files.prune_site(HTML, sources, landing, packages)
    for path, why in print_editions.stale_files(BUILD, HTML).items():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        name = path.relative_to(HTML).as_posix()
        if why == print_editions.NO_SOURCE:
            removed.append(name)
        else:
            say(f"removed {name} from the site: {why}")
    if removed:
        say("removed from the site, as no source makes them:", *removed, sep="\n  ")


def prune_build_state() -> None:
    """Drop the build state no page of either book needs any more."""
    from d2l_book.sphinxext import notebooks

    pages = sorted(p for book in BOOKS for p in (DOCS / book).glob("*.md"))
    notebooks.prune(BUILD, [p.read_text(encoding="utf-8") for p in pages])
    package_wheel.prune_wheels(BUILD)
    prune_caches()


def prune_caches() -> None:
    """Remove (and name) the execution caches of old keys but the newest few."""
    from d2l_book.execution import exec_cache
    from d2l_book.settings import execution_cache

    current = execution_cache(BUILD)
    removed = exec_cache.prune_caches(current.parent, current)
    if removed:
        say(
            f"removed the execution caches of old keys (kept the {exec_cache.KEEP_CACHES} "
            "most recently used):",
            *map(_shown, removed),
            sep="\n  ",
        )


def execute_for_preview(book: str) -> bool:
    """:func:`execute_books` for the live preview, where a page that cannot be
    read is said in one line (``ERROR: page:line: ...``), not raised."""
    try:
        return execute_books((book,), preview=True)
    except PageError as error:
        say(f"ERROR: {error}", problem=True)
        return False


def _first_build(book: str, errors: Path) -> int:
    """Execute and render ``book`` before serving it; its exit status.

    What it says on stderr goes to ``errors`` meanwhile, as a rebuild's does:
    the preview prints it, and the pages show its first error in a banner.
    """
    with build_lock(), problems_into(errors):
        if not execute_for_preview(book):
            return 1
        write_landing_page()
        return _render((book,))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``build``'s options: the books, ``--execute-only``, ``--keep-going``,
    ``--cached-only``."""
    parser.add_argument(
        "--execute-only", action="store_true", help="only fill the execution cache"
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="execute nothing: fail, naming them, if pages are not in the cache "
        "(after `merge`)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="execute every page, even after a failure",
    )
    parser.add_argument(
        "books", nargs="*", type=book, help=f"books to build (default: {tuple(BOOKS)})"
    )


def book(name: str) -> str:
    """A book's name, checked (argparse's ``type`` for a book argument)."""
    if name not in BOOKS:
        raise argparse.ArgumentTypeError(f"books are {tuple(BOOKS)}, got {name!r}")
    return name


def run_stoppable(action: Callable[[], int]) -> int:
    """Run ``action`` with SIGINT and SIGTERM raising :class:`Interrupted`.

    A stop ends it with status 128 + the signal's number, a page that cannot
    be read with status 1 and one line saying where.
    """
    try:
        with processes.stops_handled_by(raise_interrupted):
            return action()
    except Interrupted as stop:
        say(f"build stopped by {stop}", problem=True)
        return 128 + stop.signum
    except PageError as error:  # a page that cannot be read: one line says where
        say(f"ERROR: {error}", problem=True)
        return 1


def main(args: argparse.Namespace) -> int:
    """``python -m d2l_book build [BOOK...]``."""
    books = tuple(args.books) or tuple(BOOKS)
    cached_only = args.cached_only
    if args.execute_only:
        return run_stoppable(
            lambda: (
                0 if execute_books(books, args.keep_going, False, cached_only) else 1
            )
        )
    return run_stoppable(lambda: build(books, args.keep_going, cached_only))
