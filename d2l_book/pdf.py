"""Print each book as a PDF: ``docs/_build/pdf/d2l-prep-<book>.pdf``.

    python -m d2l_book pdf          both books
    python -m d2l_book pdf zh       the Chinese book only

The PDFs come from the same execution as the site: the notebooks missing from
the shared jupyter-cache are executed first by the site build's own execution
step (none when ``nox -s docs`` has run, so no kernel starts); then Sphinx's
LaTeX builder writes each book (settings in ``docs/conf.py``) and latexmk runs
xelatex on it, both books at once. Each PDF is also copied into the site,
``docs/_build/html/pdf/``, where the landing page and the books link it: the
site keeps it until its sources change (``d2l_book/print_editions.py``).

Needs, besides the ``docs`` extra: xelatex, xeCJK and latexmk (Debian:
``texlive-xetex texlive-lang-chinese texlive-latex-extra latexmk``), the
``fonts-noto-cjk``, ``fonts-freefont-otf`` and ``fonts-symbola`` fonts and
``rsvg-convert`` (``librsvg2-bin``). ``.ci/run`` installs them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from d2l_book import (
    build,  # the site's execution step
    print_editions,
)
from d2l_book.console import say
from d2l_book.print_editions import pdf_name
from d2l_book.render import book_config
from d2l_book.settings import BOOKS as _BOOK_INFO
from d2l_book.settings import BUILD, DOCS, HTML

BOOKS = tuple(_BOOK_INFO)
LATEX = BUILD / "latex"
PDF = BUILD / "pdf"
SITE_PDF = HTML / "pdf"
TOOLS = ("xelatex", "latexmk", "rsvg-convert", "make")


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
        *book_config(book),
        str(DOCS / book),
        str(LATEX / book),
    ]


def _make_pdf(book: str) -> list[str]:
    """latexmk (through Sphinx's generated Makefile) on one book's .tex file.

    xelatex stops at the first error and writes ``file:line:`` before it (see
    :func:`latex_error`); a character the fonts lack is an error too
    (``\\tracinglostchars=3`` in ``docs/conf.py``).
    """
    options = "-interaction=nonstopmode -halt-on-error -file-line-error"
    return [
        "make",
        "-C",
        str(LATEX / book),
        "all-pdf",
        "LATEXMKOPTS=-silent",
        f"LATEXOPTS={options}",
    ]


# TeX's messages in its log: "./d2l-prep-en.tex:12: message" with -file-line-error
# ("! message" for the few without a place), the input line "l.12 text read",
# and the label Sphinx's LaTeX writer puts where each page begins.
_ERROR = re.compile(r"^(?:(?P<file>\S+?):(?P<line>\d+): |! )(?P<message>.+)$", re.M)
_CONTEXT = re.compile(r"^l\.\d+ (?P<read>.*)$", re.M)
_PAGE_START = re.compile(r"\\label\{\\detokenize\{(?P<page>[^{}]+)::doc\}\}")
_LOST = re.compile(r"Missing character: There is no (?P<char>.) ")
_MACRO = re.compile(r"(\\[A-Za-z@]+|\\.)\s*$")


def _page_at(tex: str, line: int) -> str | None:
    """The page (Sphinx docname) whose text holds line ``line`` of the .tex file."""
    before = "".join(tex.splitlines(keepends=True)[:line])
    starts = _PAGE_START.findall(before)
    return starts[-1] if starts else None


def _source_lines(book: str, page: str, needle: str) -> list[int]:
    """The lines of a page's source that hold ``needle``."""
    source = DOCS / book / f"{page}.md"
    if not needle or not source.is_file():
        return []
    lines = source.read_text(encoding="utf-8").splitlines()
    return [number for number, text in enumerate(lines, 1) if needle in text]


def latex_error(book: str) -> str | None:
    """LaTeX's first error in a book's log, placed on its page and line.

    The message is LaTeX's own; the place is the page whose start label last
    precedes the .tex line, and the lines of that page's source holding the
    undefined command or the missing character. None if the log has no error.
    """
    log_path = LATEX / book / f"d2l-prep-{book}.log"
    if not log_path.is_file():
        return None
    log = log_path.read_text(encoding="utf-8", errors="replace")
    error = _ERROR.search(log)
    if error is None:
        return None
    message = error["message"].strip()
    context = _CONTEXT.search(log, error.end())
    needle = ""
    if (lost := _LOST.search(message)) is not None:
        needle = lost["char"]
    elif message.startswith("Undefined control sequence") and context:
        macro = _MACRO.search(context["read"])
        needle = macro.group(1) if macro else ""
        message = f"{message} {needle}".rstrip()
    tex_name = f"d2l-prep-{book}.tex"
    if error["file"] is None or Path(error["file"]).name != tex_name:
        where = f"{error['file']}:{error['line']}" if error["file"] else "LaTeX"
        return f"{where}: {message}\n(log: {log_path})"
    tex = (LATEX / book / tex_name).read_text(encoding="utf-8", errors="replace")
    page = _page_at(tex, int(error["line"]))
    if page is None:
        return f"{tex_name}, before the first page: {message}\n(log: {log_path})"
    lines = _source_lines(book, page, needle)
    at = f", line {', '.join(map(str, lines))}" if lines else ""
    return f"docs/{book}/{page}.md{at}: {message}\n(log: {log_path})"


def _run_all(commands: dict[str, list[str]], step: str) -> bool:
    """Run one command per book at once; say why each one that fails failed.

    For the xelatex step that is LaTeX's error and its page; otherwise (or if
    the LaTeX log has no error) the end of the step's output.
    """
    logs = {book: BUILD / f"{step}-{book}.log" for book in commands}
    # No wrapped lines in TeX's log, so that messages are read whole.
    env = {**os.environ, "max_print_line": "10000"}
    running = {}
    for book, command in commands.items():
        with logs[book].open("w", encoding="utf-8") as log:
            running[book] = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
    ok = True
    for book, process in running.items():
        if process.wait():
            ok = False
            reason = latex_error(book) if step == "xelatex" else None
            if reason is None:
                reason = logs[book].read_text(encoding="utf-8", errors="replace")
                reason = reason[-4000:]
            say(f"{step} of the {book!r} book failed:\n{reason}", problem=True)
    return ok


def publish(book: str, sources: str | None = None) -> Path:
    """Copy a book's PDF to ``_build/pdf`` and into the site; return the former.

    The site's copy is recorded with the digest of its sources, so that a
    build after a change to them removes it (``sources``: their digest taken
    before the PDF was made), and the pages link it from now on
    (``print_editions``).
    """
    built = LATEX / book / pdf_name(book)
    PDF.mkdir(parents=True, exist_ok=True)
    SITE_PDF.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, PDF / built.name)
    shutil.copy2(built, SITE_PDF / built.name)
    print_editions.record(BUILD, HTML, book, sources)
    print_editions.show_links(HTML)
    return PDF / built.name


def make_pdfs(books: tuple[str, ...]) -> int:
    """Execute what the cache lacks, then write and publish each book's PDF."""
    missing = missing_tools()
    if missing:
        say(f"the PDF build needs {', '.join(missing)}: see README", problem=True)
        return 1
    if not build.execute_books(books):  # the site build's execution step
        return 1
    sources = {book: print_editions.sources_digest(book) for book in books}
    for book in books:  # latexmk would otherwise replay a previous run's rules
        shutil.rmtree(LATEX / book, ignore_errors=True)
    if not _run_all({b: _sphinx_latex(b) for b in books}, "latex"):
        return 1
    if not _run_all({b: _make_pdf(b) for b in books}, "xelatex"):
        return 1
    for book in books:
        say(f"pdf: {publish(book, sources[book])}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``pdf``'s options: the books."""
    parser.add_argument(
        "books", nargs="*", type=build.book, help=f"books to print (default: {BOOKS})"
    )


def main(args: argparse.Namespace) -> int:
    """``python -m d2l_book pdf [BOOK...]``."""
    return make_pdfs(tuple(args.books) or BOOKS)
