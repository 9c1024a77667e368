"""Print each book as a PDF: ``docs/_build/pdf/d2l-prep-<book>.pdf``.

    python docs/pdf.py          both books
    python docs/pdf.py zh       the Chinese book only

The PDFs come from the same execution as the site: the notebooks missing from
the shared jupyter-cache are executed first by the site build's own execution
step (none when ``nox -s docs`` has run, so no kernel starts); then Sphinx's
LaTeX builder writes each book (settings in ``docs/conf.py``) and latexmk runs
xelatex on it, both books at once. Each PDF is also copied into the site,
``docs/_build/html/pdf/``, where the landing page and the books link it.

Needs, besides the ``docs`` extra: xelatex, xeCJK and latexmk (Debian:
``texlive-xetex texlive-lang-chinese texlive-latex-extra latexmk``), the
``fonts-noto-cjk`` and ``fonts-freefont-otf`` fonts and ``rsvg-convert``
(``librsvg2-bin``). ``.ci/run`` installs them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import build  # docs/build.py: the site's execution step and build folder

from layout import BOOKS as _BOOK_INFO  # noqa: E402
from layout import BUILD, DOCS  # noqa: E402 (docs/_ext, put on sys.path by build)

BOOKS = tuple(_BOOK_INFO)
LATEX = BUILD / "latex"
PDF = BUILD / "pdf"
SITE_PDF = build.HTML / "pdf"
TOOLS = ("xelatex", "latexmk", "rsvg-convert", "make")


def pdf_name(book: str) -> str:
    """File name of a book's PDF, the same in the build folder and the site."""
    if book not in BOOKS:
        raise ValueError(f"book must be one of {BOOKS}, got {book!r}")
    return f"d2l-prep-{book}.pdf"


def missing_tools() -> list[str]:
    """The programs the PDF build needs that are not on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _sphinx_latex(book: str) -> list[str]:
    """A strict sphinx-build of one book with the LaTeX builder."""
    return [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "latex",
        "-W",
        "--keep-going",
        "-q",
        "-d",
        str(BUILD / "doctrees-latex" / book),
        str(DOCS / book),
        str(LATEX / book),
    ]


def _make_pdf(book: str) -> list[str]:
    """latexmk (through Sphinx's generated Makefile) on one book's .tex file."""
    return ["make", "-C", str(LATEX / book), "all-pdf", "LATEXMKOPTS=-silent"]


def _run_all(commands: dict[str, list[str]], step: str) -> bool:
    """Run one command per book at once; print the log of each one that fails."""
    logs = {book: BUILD / f"{step}-{book}.log" for book in commands}
    running = {}
    for book, command in commands.items():
        with logs[book].open("w", encoding="utf-8") as log:
            running[book] = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
    ok = True
    for book, process in running.items():
        if process.wait():
            ok = False
            tail = logs[book].read_text(encoding="utf-8", errors="replace")[-4000:]
            print(f"{step} of the {book!r} book failed:\n{tail}", file=sys.stderr)
    return ok


def publish(book: str) -> Path:
    """Copy a book's PDF to ``_build/pdf`` and into the site; return the former."""
    built = LATEX / book / pdf_name(book)
    PDF.mkdir(parents=True, exist_ok=True)
    SITE_PDF.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, PDF / built.name)
    shutil.copy2(built, SITE_PDF / built.name)
    return PDF / built.name


def make_pdfs(books: tuple[str, ...]) -> int:
    """Execute what the cache lacks, then write and publish each book's PDF."""
    missing = missing_tools()
    if missing:
        print(f"the PDF build needs {', '.join(missing)}: see README", file=sys.stderr)
        return 1
    if not build.execute_books(books):  # the site build's execution step
        return 1
    for book in books:  # latexmk would otherwise replay a previous run's rules
        shutil.rmtree(LATEX / book, ignore_errors=True)
    if not _run_all({b: _sphinx_latex(b) for b in books}, "latex"):
        return 1
    if not _run_all({b: _make_pdf(b) for b in books}, "xelatex"):
        return 1
    for book in books:
        print(f"pdf: {publish(book)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("books", nargs="*", help=f"books to print (default: {BOOKS})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.books) - set(BOOKS))
    if unknown:
        parser.error(f"books must be among {BOOKS}, got {unknown}")
    return make_pdfs(tuple(args.books) or BOOKS)


if __name__ == "__main__":
    sys.exit(main())
