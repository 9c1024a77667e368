"""The print editions in the site: kept while they match the sources, linked while there.

``nox -s pdf`` (``d2l_book/pdf.py``) prints each book and copies the PDF into the
site's ``pdf/`` folder; the site build never makes a PDF.  So that the site
holds only what its sources make, :func:`record` notes, when a PDF is copied
in, a digest of everything it was made from (:func:`sources_digest`) and the
PDF's own hash, in the build folder; after every build :func:`stale_files`
names the files of ``pdf/`` that no longer match: a PDF whose sources changed
since (or that no ``nox -s pdf`` recorded), and anything that is neither a
book's PDF nor its notebooks zip.  The notebooks zips need no record: every
build writes them again from the book's notebooks (``notebooks.write_zip``).

A page links a PDF from an element that names it, ``data-print-edition="
d2l-prep-en.pdf"`` (several names, space-separated, for an element that holds
several links), hidden in the source: :func:`show_links` takes the ``hidden``
attribute away while one of the PDFs it names is in the site, and gives it back
when none is, so the pages never show a link to a PDF the site lacks.  It runs after every
build and after ``nox -s pdf`` publishes, and rewrites a page only if that
changes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from d2l_book.settings import BOOKS, DOCS, execution_key

PDF_FOLDER = "pdf"
# Beside the book folders, what in docs/ feeds the LaTeX builder: its settings,
# the interface catalogues (captions, "Figure"), the plotting style.
SHARED_SOURCES = ("conf.py", "locales", "matplotlibrc")
# And what in the engine does: the Sphinx extensions and the PDF step itself.
ENGINE = Path(__file__).resolve().parent
ENGINE_SOURCES = (ENGINE / "sphinxext", ENGINE / "pdf.py")
_MARKED = re.compile(r'(data-print-edition="(?P<names>[^"]*)")(?P<hidden> hidden)?')
_SKIPPED = {"__pycache__", ".ipynb_checkpoints"}
NO_SOURCE = "no source makes it"
UNRECORDED = "`nox -s pdf` did not put it there (run it to print the book)"
STALE = "its sources changed since `nox -s pdf` printed it (run it again to reprint)"


def pdf_name(book: str) -> str:
    """File name of a book's PDF, the same in the build folder and the site."""
    if book not in BOOKS:
        raise ValueError(f"book must be one of {tuple(BOOKS)}, got {book!r}")
    return f"d2l-prep-{book}.pdf"


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(
            part in _SKIPPED or part.startswith(".")
            for part in p.relative_to(path).parts
        )
    )


def _add_files(digest: Any, root: Path, sources: Iterable[Path]) -> None:
    """Feed each file under ``sources`` to ``digest``: its path below ``root``, its bytes."""
    for source in sources:
        for path in _files(source):
            digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def sources_digest(book: str, docs: Path = DOCS) -> str:
    """A hash of what a book's PDF is made from.

    The book's folder (its pages, their figures), the shared sources of
    ``docs/`` (:data:`SHARED_SOURCES`), the engine's (:data:`ENGINE_SOURCES`)
    and the execution key (``settings.execution_key``: the package's sources and the versions of the
    libraries that decide what the cells print and draw).
    """
    if book not in BOOKS:
        raise ValueError(f"book must be one of {tuple(BOOKS)}, got {book!r}")
    digest = hashlib.sha256(f"execution {execution_key()}\n".encode())
    _add_files(digest, docs, [docs / name for name in (book, *SHARED_SOURCES)])
    _add_files(digest, ENGINE, ENGINE_SOURCES)
    return digest.hexdigest()


def _record_file(build: Path, book: str) -> Path:
    return build / PDF_FOLDER / f"{pdf_name(book)}.sources.json"


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record(
    build: Path, site: Path, book: str, sources: str | None = None, docs: Path = DOCS
) -> Path:
    """Note what the site's PDF of ``book`` was made from; the record's path.

    ``sources`` is the :func:`sources_digest` taken before the PDF was made
    (default: now), so that an edit made while it was printed is not hidden.
    """
    target = _record_file(build, book)
    target.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "sources": sources or sources_digest(book, docs),
        "pdf": _file_hash(site / PDF_FOLDER / pdf_name(book)),
    }
    target.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    return target


def why_stale(build: Path, site: Path, book: str, docs: Path = DOCS) -> str | None:
    """Why the site's PDF of ``book`` must go; None if it is current (or absent)."""
    pdf, noted = site / PDF_FOLDER / pdf_name(book), _record_file(build, book)
    if not pdf.is_file():
        return None
    try:
        entry = json.loads(noted.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entry = None
    if not isinstance(entry, dict) or entry.get("pdf") != _file_hash(pdf):
        return UNRECORDED
    if entry.get("sources") != sources_digest(book, docs):
        return STALE
    return None


def stale_files(build: Path, site: Path, docs: Path = DOCS) -> dict[Path, str]:
    """The files of the site's ``pdf/`` that no source makes now, with why."""
    folder = site / PDF_FOLDER
    if not folder.is_dir():
        return {}
    zips = {f"d2l-prep-{book}-notebooks.zip" for book in BOOKS}
    pdfs = {pdf_name(book): book for book in BOOKS}
    stale: dict[Path, str] = {}
    for path in sorted(folder.iterdir()):
        if path.name in zips and path.is_file():
            continue
        if path.name in pdfs and path.is_file():
            why = why_stale(build, site, pdfs[path.name], docs)
            if why:
                stale[path] = why
            continue
        stale[path] = NO_SOURCE
    return stale


def _rewritten(text: str, present: set[str]) -> str:
    def mark(match: re.Match[str]) -> str:
        shown = any(name in present for name in match["names"].split())
        return match[1] + ("" if shown else " hidden")

    return _MARKED.sub(mark, text)


def show_links(site: Path) -> list[Path]:
    """Hide the links to PDFs the site lacks, show the others; the pages changed."""
    folder = site / PDF_FOLDER
    present = {p.name for p in folder.glob("*.pdf")} if folder.is_dir() else set()
    pages = sorted(site.glob("*.html"))
    for book in BOOKS:
        pages += sorted((site / book).glob("*.html"))
    changed = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if "data-print-edition=" not in text:
            continue
        new = _rewritten(text, present)
        if new != text:
            # Replaced whole: whoever reads the site meanwhile (a server, the
            # tests of another pytest-xdist worker) gets the old page or the new.
            temporary = page.with_name(f".{page.name}.{os.getpid()}.tmp")
            temporary.write_text(new, encoding="utf-8")
            os.replace(temporary, page)
            changed.append(page)
    return changed
