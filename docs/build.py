"""Build both books into ``docs/_build/html`` (or serve one of them live).

    python docs/build.py            strict build of en and zh + landing page
    python docs/build.py --serve zh live preview of the Chinese book

All build state lives under ``docs/_build``: deleting it gives a cold build.

A page's code cells are identical in both books, so each page is executed
once: first every notebook missing from the shared jupyter-cache is executed,
one kernel per core, and cached; then Sphinx renders the two books side by
side (one process each), finding every page in the cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# All build state lives here; D2L_BUILD_DIR moves it (e.g. for a side build).
BUILD = Path(os.environ.get("D2L_BUILD_DIR", DOCS / "_build")).resolve()
HTML = BUILD / "html"
BOOKS = ("en", "zh")
sys.path.insert(0, str(DOCS / "_ext"))
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


def sphinx_args(book: str) -> list[str]:
    """Arguments shared by sphinx-build and sphinx-autobuild for one book."""
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


def _render(books: tuple[str, ...]) -> int:
    """Run Sphinx for each book at once, in processes forked from this one.

    Sphinx and its extensions are imported once, here; each child builds one
    book and writes its log to ``_build/sphinx-<book>.log``, printed after.
    """
    import importlib  # noqa: PLC0415

    import sphinx.cmd.build  # noqa: PLC0415

    for name in SPHINX_PRELOAD:
        importlib.import_module(name)
    sys.stdout.flush()
    sys.stderr.flush()
    children = {}
    for book in books:
        log = BUILD / f"sphinx-{book}.log"
        pid = os.fork()
        if pid == 0:  # the child: build one book, then leave at once
            code = 1
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                code = sphinx.cmd.build.build_main(sphinx_args(book))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[book] = (pid, log)
    status = 0
    for book, (pid, log) in children.items():
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        sys.stdout.write(log.read_text(encoding="utf-8"))
        if code:
            print(f"build of the {book!r} book failed", file=sys.stderr)
            status = status or code
    return status


def _execute(books: tuple[str, ...]) -> bool:
    """Run the books' notebooks missing from the cache; False if one fails."""
    from execute import execute_missing  # noqa: PLC0415 (needs the docs venv)

    BUILD.mkdir(parents=True, exist_ok=True)
    pages = sorted(p for book in books for p in (DOCS / book).glob("*.md"))
    return execute_missing(pages, workers=os.cpu_count() or 1)


def build(books: tuple[str, ...]) -> int:
    if not _execute(books):
        return 1
    start = time.perf_counter()
    status = _render(books)
    if status:
        return status
    write_landing_page()
    from hosted_site import finish_site  # noqa: PLC0415 (sitemap, 404, CSP)

    finish_site(HTML, books)
    print(f"rendering: {time.perf_counter() - start:.1f} s")
    print(f"site: {HTML / 'index.html'}")
    return 0


def serve(book: str) -> int:
    if not _execute((book,)):
        return 1
    write_landing_page()
    cmd = [
        sys.executable,
        "-m",
        "sphinx_autobuild",
        *sphinx_args(book),
        "--watch",
        str(DOCS / "_ext"),
        "--watch",
        str(DOCS / "conf.py"),
        "--watch",
        str(DOCS.parent / "src"),
        "--host",
        "127.0.0.1",
        "--port",
        os.environ.get("D2L_SERVE_PORT", "8000"),
    ]
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=BOOKS, help="live preview of one book")
    parser.add_argument("books", nargs="*", help=f"books to build (default: {BOOKS})")
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve)
    unknown = sorted(set(args.books) - set(BOOKS))
    if unknown:
        parser.error(f"books must be among {BOOKS}, got {unknown}")
    return build(tuple(args.books) or BOOKS)


if __name__ == "__main__":
    sys.exit(main())
