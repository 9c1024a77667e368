"""Build both books into ``docs/_build/html`` (or serve one of them live).

    python docs/build.py                  strict build of en and zh + landing page
    python docs/build.py --serve zh       live preview of the Chinese book (preview.py)
    python docs/build.py --execute-only   only fill the execution cache
    python docs/build.py --keep-going     execute every page even after a failure

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
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

from preview import die_with_parent, stop_process_groups  # noqa: E402

import package_wheel  # noqa: E402
from cells import PageError  # noqa: E402
from execute import Interrupted  # noqa: E402
from layout import BOOKS, BUILD, DOCS, STOP_GRACE, serve_port  # noqa: E402

HTML = BUILD / "html"
# Sphinx, the theme and the extensions both books load: imported once here.
SPHINX_PRELOAD = (
    "myst_nb.sphinx_ext",
    "furo",
    "sphinx_design.extension",
    "sphinx_copybutton",
    "sphinx.builders.html",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def sphinx_args(book: str) -> list[str]:
    """Sphinx's arguments for one book (the build and the live preview)."""
    return [
        "-b",
        "html",
        "-W",
        "--keep-going",
        "-d",
        str(BUILD / "doctrees" / book),
        str(DOCS / book),
        str(HTML / book),
    ]


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
        print(f"another build holds {lock.lock_file}: waiting for it", flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def check_books(books: tuple[str, ...] = tuple(BOOKS)) -> list[str]:
    """Problems that make the books differ: a missing twin, a differing code cell."""
    from cells import parse_code_cells

    folders = [DOCS / book for book in BOOKS if (DOCS / book).is_dir()]
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
            cells = [
                parse_code_cells(
                    (f / name).read_text(encoding="utf-8"), f"docs/{f.name}/{name}"
                )
                for f in (first, folder)
            ]
            for number, (a, b) in enumerate(zip(*cells, strict=False), start=1):
                if (a.source, a.tags) != (b.source, b.tags):
                    problems.append(
                        f"docs/{first.name}/{name}:{a.line} and "
                        f"docs/{folder.name}/{name}:{b.line}: code cell {number} "
                        "differs between the books"
                    )
                    break
            else:
                if len(cells[0]) != len(cells[1]):
                    problems.append(
                        f"docs/{first.name}/{name} has {len(cells[0])} code cells, "
                        f"docs/{folder.name}/{name} has {len(cells[1])}"
                    )
    return problems


def execute_books(
    books: tuple[str, ...], keep_going: bool = False, preview: bool = False
) -> bool:
    """Execute the books' notebooks missing from the shared cache; True if all ran.

    The public execution step: ``build`` and ``serve`` call it before Sphinx,
    and so can any other builder (e.g. LaTeX), which then finds every page in
    the cache.  Holds the build lock while it runs.  Raises :class:`Interrupted`
    on SIGINT or SIGTERM, after stopping every kernel.  ``preview`` (serve)
    only warns when the books differ: an author edits one book at a time.
    """
    unknown = sorted(set(books) - set(BOOKS))
    if unknown or not books:
        raise ValueError(f"books must be among {tuple(BOOKS)}, got {list(books)}")
    import execute

    problems = check_books(books)
    if problems:
        level = "WARNING" if preview else "ERROR"
        print(
            f"{level}: the books do not match:", *problems, sep="\n  ", file=sys.stderr
        )
        if not preview:
            return False
    pages = sorted(p for book in books for p in (DOCS / book).glob("*.md"))
    with build_lock():
        sweep_temporary_folders()
        return execute.execute_missing(
            pages, workers=os.cpu_count() or 1, keep_going=keep_going
        )


def sweep_temporary_folders() -> None:
    """Remove (and name) the kernels' temporary folders of builds that were killed."""
    import kernels

    removed = kernels.sweep_stale_folders()
    if removed:
        print(
            "removed the temporary folders of a killed build:",
            *map(str, removed),
            sep="\n  ",
        )


def _sphinx_child(book: str, log: Path) -> None:
    """In a forked child: build one book with Sphinx, then leave at once."""
    import sphinx.cmd.build

    code = 1
    try:
        os.setpgid(0, 0)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        die_with_parent(signal.SIGKILL)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = sphinx.cmd.build.build_main(sphinx_args(book))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# Lines of a Sphinx log that the screen shows: warnings, errors, the verdict.
_SAID = ("WARNING:", "ERROR:", "CRITICAL:", "build succeeded", "build finished with")


def _reported(codes: dict[str, int]) -> int:
    """Say how each book's render went; the first non-zero status, else 0.

    The screen gets one line per book that built cleanly, then the warnings
    and errors of the others (the last thing on screen); Sphinx's whole log
    (configuration, progress, each image) stays in ``_build/sphinx-<book>.log``.
    """
    failed = {book: code for book, code in codes.items() if code}
    for book in sorted(codes, key=lambda book: book in failed):
        log = BUILD / f"sphinx-{book}.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        said = [line for line in lines if any(mark in line for mark in _SAID)]
        if book in failed and not any(s.startswith("build") for s in said):
            said = lines[-30:]  # Sphinx stopped early: its last words say why
        for line in said if book in failed else said[-1:]:
            print(f"{book}: {line}" if line.startswith("build") else line)
        if book in failed:
            print(
                f"build of the {book!r} book failed (log: {_shown(log)})",
                file=sys.stderr,
            )
    return next(iter(failed.values()), 0)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(Path.cwd()).as_posix()
    return str(path)


def _render(books: tuple[str, ...]) -> int:
    """Run Sphinx for each book at once, in processes forked from this one.

    Sphinx and its extensions are imported once, here; each child builds one
    book and writes its log to ``_build/sphinx-<book>.log``, printed after.
    Where ``os.fork`` is unavailable or unsafe, :func:`_render_launched`.
    """
    import importlib

    import kernels

    if not kernels.use_fork():
        return _render_launched(books)
    for name in SPHINX_PRELOAD:
        importlib.import_module(name)
    sys.stdout.flush()
    sys.stderr.flush()
    children: dict[str, int] = {}
    try:
        for book in books:
            pid = os.fork()
            if pid == 0:
                _sphinx_child(book, BUILD / f"sphinx-{book}.log")
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
            children[book] = pid
        codes = {}
        for book, pid in list(children.items()):
            codes[book] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            del children[book]
        return _reported(codes)
    finally:
        stop_process_groups(list(children.values()))


def _render_launched(books: tuple[str, ...]) -> int:
    """Run ``python -m sphinx`` for each book at once (no fork: any platform)."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for book in books:
            with (BUILD / f"sphinx-{book}.log").open("wb") as log:
                command = [sys.executable, "-m", "sphinx", "build", *sphinx_args(book)]
                processes[book] = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT
                )
        return _reported({book: process.wait() for book, process in processes.items()})
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_GRACE)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def build(books: tuple[str, ...], keep_going: bool = False) -> int:
    """Execute what the cache lacks, then render the books; an exit status."""
    with build_lock():
        if not execute_books(books, keep_going):
            return 1
        start = time.perf_counter()
        wheel = package_wheel.build_wheel(BUILD)  # before the notebooks name it
        status = _render(books)
        if status:
            return status
        write_landing_page()
        publish_downloads(books, wheel)
        prune_site(books, {wheel.name})
        from hosted_site import finish_site  # noqa: PLC0415 (sitemap, 404, CSP)

        finish_site(HTML, books)
        prune_build_state()
    print(f"rendering: {time.perf_counter() - start:.1f} s")
    print(f"site: {HTML / 'index.html'}")
    missing = missing_pdfs(books)
    if missing:
        print(missing)
    return 0


def missing_pdfs(books: tuple[str, ...], site: Path = HTML) -> str:
    """One line naming the PDFs the pages link but the site lacks ('' if none).

    The landing page and each book's home page link ``pdf/d2l-prep-<book>.pdf``,
    which only ``nox -s pdf`` makes: without it those links are dead.
    """
    absent = [
        f"pdf/d2l-prep-{book}.pdf"
        for book in books
        if not (site / "pdf" / f"d2l-prep-{book}.pdf").is_file()
    ]
    if not absent:
        return ""
    return (
        f"note: the pages link {', '.join(absent)}, not in the site yet: "
        f"make {'it' if len(absent) == 1 else 'them'} with `nox -s pdf`"
    )


def notebooks_zip(book: str) -> Path:
    """Where a book's notebooks are packed: beside the PDFs, ``pdf/``."""
    if book not in BOOKS:
        raise ValueError(f"book must be one of {tuple(BOOKS)}, got {book!r}")
    return HTML / "pdf" / f"d2l-prep-{book}-notebooks.zip"


def publish_downloads(books: tuple[str, ...], wheel: Path) -> None:
    """The package's wheel in ``packages/``, each book's notebooks as a zip."""
    import notebooks

    package_wheel.publish(wheel, HTML)
    for book in books:
        notebooks.write_zip(HTML / book, notebooks_zip(book))


def prune_site(books: tuple[str, ...], packages: set[str] | None = None) -> None:
    """Remove (and name) what no cold build of the sources would have written."""
    import site_files

    sources = {book: {p.stem for p in (DOCS / book).glob("*.md")} for book in books}
    landing = {p.name for p in (DOCS / "_landing").iterdir()}
    removed = site_files.prune_site(HTML, sources, landing, packages)
    if removed:
        print("removed from the site, as no source makes them:", *removed, sep="\n  ")


def prune_build_state() -> None:
    """Drop the build state no page of either book needs any more."""
    import notebooks

    pages = sorted(p for book in BOOKS for p in (DOCS / book).glob("*.md"))
    notebooks.prune(BUILD, [p.read_text(encoding="utf-8") for p in pages])
    package_wheel.prune_wheels(BUILD)
    prune_caches()


def prune_caches() -> None:
    """Remove (and name) the execution caches of old keys but the newest few."""
    import exec_cache
    from layout import execution_cache

    current = execution_cache(BUILD)
    removed = exec_cache.prune_caches(current.parent, current)
    if removed:
        print(
            f"removed the execution caches of old keys (kept the {exec_cache.KEEP_CACHES} "
            "most recently used):",
            *map(_shown, removed),
            sep="\n  ",
        )


def port_is_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":  # as uvicorn binds: TIME_WAIT is no listener
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _rebuild(book: str) -> int:
    """One rebuild of the live preview, in a child of the serving process.

    It holds the build lock throughout, so a build started meanwhile waits;
    Sphinx gets the default signal actions (it would report our exception).
    """
    import sphinx.cmd.build

    _LOCKS.clear()  # the serving process's lock object: filelock wants a new one
    with build_lock():
        if not execute_books((book,), preview=True):
            return 1
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        return sphinx.cmd.build.build_main(sphinx_args(book))


def _first_build(book: str) -> None:
    """Execute and render ``book`` before serving it; a failure is only said."""
    with build_lock():
        if not execute_books((book,), preview=True):
            print(
                "fix the failing page and save: the preview rebuilds", file=sys.stderr
            )
            return
        write_landing_page()
        if _render((book,)):
            print(
                "the book has errors: fix them and save, it rebuilds", file=sys.stderr
            )


def serve(book: str, port: int) -> int:
    """Live preview of one book: each edit is executed warm, then rendered.

    The serving process imports Sphinx and the kernels' libraries once; each
    rebuild is forked from it (see ``preview.py``).  A change to Python code
    restarts it, as a new process in this one's place.
    """
    import preview

    import kernels

    if not port_is_free(port):
        print(
            f"port {port} on 127.0.0.1 is busy (another serve?); choose another"
            f" with D2L_SERVE_PORT, e.g. D2L_SERVE_PORT={port + 1} nox -s serve",
            file=sys.stderr,
        )
        return 1
    _first_build(book)
    fork = kernels.use_fork()
    if fork:
        kernels.preload()
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--rebuild", book]
    live = preview.Preview(
        book, lambda: _rebuild(book), command, fork, _raise_interrupted
    )
    if not preview.serve(live, port):
        return 0
    sys.stdout.flush()
    again = [sys.executable, script, "--serve", book]
    if os.name != "posix":  # Windows' execv starts a new process and returns
        return subprocess.call(again)
    os.execv(sys.executable, again)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=BOOKS, help="live preview of one book")
    parser.add_argument(
        "--execute-only", action="store_true", help="only fill the execution cache"
    )
    # One rebuild of the live preview, where it cannot fork (preview.py).
    parser.add_argument("--rebuild", choices=BOOKS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="execute every page, even after a failure",
    )
    parser.add_argument(
        "books", nargs="*", help=f"books to build (default: {tuple(BOOKS)})"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.books) - set(BOOKS))
    if unknown:
        parser.error(f"books must be among {tuple(BOOKS)}, got {unknown}")
    books = tuple(args.books) or tuple(BOOKS)
    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, _raise_interrupted)
    try:
        if args.serve:
            return serve(args.serve, serve_port())
        if args.rebuild:
            return _rebuild(args.rebuild)
        if args.execute_only:
            return 0 if execute_books(books, args.keep_going) else 1
        return build(books, args.keep_going)
    except Interrupted as stop:
        print(f"build stopped by {stop}", file=sys.stderr)
        return 128 + stop.signum
    except PageError as error:  # a page that cannot be read: one line says where
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
