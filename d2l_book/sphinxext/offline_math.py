"""Serve MathJax from the site itself: no page asks another host for math.

The MathJax 3 files come from the ``sphinx-mathjax-offline`` wheel; only the
TeX → CommonHTML bundle, its fonts and the lazily loaded pieces it may need are
copied into ``_static/mathjax`` of each book.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

# What tex-chtml.js loads: itself, its woff fonts, the accessibility menu's
# parts and TeX extensions loaded by \require.
NEEDED = (
    "tex-chtml.js",
    "output/chtml/fonts/woff-v2",
    "ui",
    "a11y",
    "input/tex/extensions",
    "sre",
)


def mathjax_dir() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the sphinx-mathjax-offline package is not installed")
    return Path(spec.origin).parent / "static" / "mathjax"


def _copy(app: Sphinx) -> None:
    """Copy MathJax into the book's ``_static`` before any page is written.

    Sphinx links a script with a ``?v=<checksum>`` only if the file is
    already there when it writes the page: copied when the build finished,
    the pages of a cold build linked MathJax bare, and those a rebuild wrote
    with the suffix.  A file is copied only if its copy's size or time differs
    (``shutil.copy2`` keeps the time): Sphinx's ``copy_asset`` compares every
    byte of every file, 0.3 s of each Sphinx run.
    """
    if app.builder.format != "html":
        return
    source = mathjax_dir()
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in NEEDED:
        start = source / part
        for path in sorted(start.rglob("*")) if start.is_dir() else [start]:
            if path.is_dir():
                continue
            copy = target / path.relative_to(source)
            if _same_file(path, copy):
                continue
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)


def _same_file(path: Path, copy: Path) -> bool:
    try:
        mine, theirs = path.stat(), copy.stat()
    except FileNotFoundError:
        return False
    return (mine.st_size, mine.st_mtime_ns) == (theirs.st_size, theirs.st_mtime_ns)


def setup(app: Sphinx) -> dict[str, Any]:
    mathjax_dir()  # fail early, not after the whole build
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.connect("builder-inited", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
