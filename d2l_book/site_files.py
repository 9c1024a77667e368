"""The site folder holds only what the sources make.

Sphinx writes the pages of an incremental build over the old ones and never
removes a file: the page of a deleted or renamed ``.md`` stays in the site (and
so in ``sitemap.xml``, written from the site's pages), and so do its notebook,
its source copy, the figures only it showed and any file put there by hand.
No Sphinx extension tracks a build's outputs, so after every successful build
:func:`prune_site` removes, and names, every file of the site that a cold
build of the same sources would not write:

- in a book's folder: pages (``.html``, ``.ipynb``, ``_sources/``) of pages
  that have no source; HTML pages that are neither a source's nor one of the
  pages Sphinx writes at every build (``genindex``, ``search``,
  ``py-modindex``, ``404``: ``hosted_site.NOT_CONTENT``); figures and downloads that no page links; MyST-NB's
  stylesheets of earlier versions (``mystnb.<hash>.css``); anything else that
  no Sphinx build writes;
- at the root: everything but the books, the landing page, ``sitemap.xml``,
  ``404.html``, the ``pdf/`` folder (the PDFs of ``nox -s pdf`` and the
  books' notebook zips, ``d2l-prep-<book>-notebooks.zip``) and the
  ``packages/`` folder, where only the current ``d2l_prep`` wheel stays
  (``package_wheel.py``; the notebooks install it).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from d2l_book.settings import BOOKS
from d2l_book.sphinxext.hosted_site import NOT_CONTENT

# What Sphinx writes into a book's folder at every build besides the pages.
BOOK_FILES = {".buildinfo", "objects.inv", "searchindex.js"}
# Folders of assets: _static is copied whole at every build, the others hold
# what pages link (figures, downloads), kept while a page links them.
STATIC = "_static"
LINKED = ("_images", "_downloads")
# Besides the books' folders, what the site's root holds.
ROOT_FILES = {"sitemap.xml", "404.html", "pdf", "packages"}
# The folder of the wheel that the notebooks install (package_wheel.PACKAGES).
PACKAGES = "packages"
_LINK = re.compile(r"""(?:src|href)=["'](?:\.\./)*(_images|_downloads)/([^"'#?]+)""")
_MYSTNB_CSS = re.compile(r"mystnb\.[0-9a-f]{16,}\.css")


def _remove(path: Path, removed: list[str], site: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    removed.append(path.relative_to(site).as_posix())


def _linked(pages: Iterable[Path]) -> set[str]:
    """``_images/x.svg``, ``_downloads/…``: the assets these pages link."""
    found = set()
    for page in pages:
        for folder, name in _LINK.findall(page.read_text(encoding="utf-8")):
            found.add(f"{folder}/{name}")
    return found


def _stale_in_book(folder: Path, sources: set[str]) -> list[Path]:
    """The files of one book's folder that no cold build would write."""
    stale: list[Path] = []
    pages: list[Path] = []
    for path in sorted(folder.iterdir()):
        name, suffix = path.name, path.suffix
        if suffix == ".html":
            known = path.stem in sources or path.stem in NOT_CONTENT
            (pages if known else stale).append(path)
        elif suffix == ".ipynb":
            if path.stem not in sources:
                stale.append(path)
        elif name not in BOOK_FILES and name not in (STATIC, "_sources", *LINKED):
            stale.append(path)
    sources_dir = folder / "_sources"
    if sources_dir.is_dir():
        stale += [
            p
            for p in sorted(sources_dir.iterdir())
            if p.name.split(".")[0] not in sources
        ]
    links = _linked(pages)
    for asset in LINKED:
        if (folder / asset).is_dir():
            stale += [
                p
                for p in sorted((folder / asset).rglob("*"))
                if p.is_file() and p.relative_to(folder).as_posix() not in links
            ]
    used_css = {
        m for page in pages for m in _MYSTNB_CSS.findall(page.read_text("utf-8"))
    }
    if (folder / STATIC).is_dir() and used_css:
        stale += [
            p
            for p in sorted((folder / STATIC).glob("mystnb.*.css"))
            if _MYSTNB_CSS.fullmatch(p.name) and p.name not in used_css
        ]
    return stale


def prune_site(
    site: Path,
    sources: dict[str, set[str]],
    root_files: set[str],
    packages: set[str] | None = None,
) -> list[str]:
    """Remove what no cold build would write; the removed paths, site-relative.

    ``sources`` maps each book built now to its page names (``.md`` stems),
    ``root_files`` are the landing page's files, ``packages`` the file names that belong in ``packages/`` (None: leave it alone).
    """
    removed: list[str] = []
    if packages is not None and (site / PACKAGES).is_dir():
        for path in sorted((site / PACKAGES).iterdir()):
            if path.name not in packages:
                _remove(path, removed, site)
    for book, names in sources.items():
        if (site / book).is_dir():
            for path in _stale_in_book(site / book, names):
                if path.exists():
                    _remove(path, removed, site)
    for folder in (site / book / asset for book in sources for asset in LINKED):
        for sub in sorted(folder.rglob("*"), reverse=True) if folder.is_dir() else []:
            if sub.is_dir() and not any(sub.iterdir()):
                sub.rmdir()
    keep = set(BOOKS) | root_files | ROOT_FILES
    for path in sorted(site.iterdir()) if site.is_dir() else []:
        if path.name not in keep:
            _remove(path, removed, site)
    return removed
