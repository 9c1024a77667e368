"""Sphinx configuration shared by both books.

``docs/en/conf.py`` and ``docs/zh/conf.py`` import everything from here and
then apply :func:`language_settings` for their language, so a setting is
written once and means the same in both books.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# docs/build.py passes D2L_BUILD_DIR when it builds elsewhere (default _build).
BUILD = Path(os.environ.get("D2L_BUILD_DIR", DOCS / "_build")).resolve()
sys.path.insert(0, str(DOCS / "_ext"))

# Kernels started by MyST-NB inherit the environment: the book's figures get
# a fixed SVG hash salt, no timestamps and a transparent background.
os.environ["MATPLOTLIBRC"] = str(DOCS / "matplotlibrc")
# Matplotlib stamps SVG figures with this date instead of "now".  (Sphinx
# ignores the value 0, so the copyright line is left alone.)
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def _execution_inputs_hash() -> str:
    digest = hashlib.sha256()
    sources = sorted((DOCS.parent / "src").rglob("*.py")) + [DOCS / "matplotlibrc"]
    for path in sources:
        digest.update(path.relative_to(DOCS.parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# -- Project ------------------------------------------------------------------
project = "d2l-prep"
author = "The d2l-prep authors"
copyright = "2026, The d2l-prep authors"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
    "sphinx_design",
    "bilingual",
    "kernel_ipc",
    "clean_outputs",
    "notebooks",
    "offline_math",
    "solutions",
]
exclude_patterns = ["conf.py"]
templates_path = [str(DOCS / "_templates")]
html_static_path = [str(DOCS / "_static")]
html_css_files = ["d2l-prep.css"]
html_favicon = str(DOCS / "_static" / "favicon.svg")
suppress_warnings: list[str] = []

# -- MyST and MyST-NB -----------------------------------------------------------
myst_enable_extensions = ["amsmath", "colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# One cache for both languages: jupyter-cache hashes the code cells only, so a
# page pair with identical code executes once.
nb_execution_mode = "cache"
# The key also covers the package sources and matplotlibrc, which shape
# outputs without being in any cell: change them and every page re-executes.
nb_execution_cache_path = str(BUILD / ".jupyter_cache" / _execution_inputs_hash())
nb_execution_in_temp = True  # pages never write into docs/
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_mime_priority_overrides = [("html", "image/svg+xml", 5)]

# -- Autodoc ------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False

# -- Output -------------------------------------------------------------------
html_theme = "furo"
html_theme_options = {
    # Top-of-page buttons: "view" offers the notebook, "edit" switches language.
    "top_of_page_buttons": ["view", "edit"],
}
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

# Both books, for the switcher and <link rel="alternate" hreflang>.
BOOKS = {
    "en": {"language": "en", "hreflang": "en", "title": "d2l-prep: Preliminaries"},
    "zh": {"language": "zh_CN", "hreflang": "zh-CN", "title": "d2l-prep：预备知识"},
}


def language_settings(book: str) -> dict[str, object]:
    """Return the settings that differ between the English and Chinese books."""
    if book not in BOOKS:
        raise ValueError(f"book must be one of {sorted(BOOKS)}, got {book!r}")
    info = BOOKS[book]
    settings: dict[str, object] = {}
    if info["language"].startswith("zh"):
        _quiet_jieba()
        settings.update(
            nb_code_prompt_show="显示完整定义（保存在 d2l_prep 包中）",
            nb_code_prompt_hide="隐藏完整定义",
        )
        # Sphinx loads jieba's own dictionary a second time as a "user"
        # dictionary unless told otherwise: 2-3 s per build, for nothing.
        settings["html_search_options"] = {"dict": ""}
    else:
        settings.update(
            nb_code_prompt_show="Show the complete definition (saved in d2l_prep)",
            nb_code_prompt_hide="Hide the complete definition",
        )
    return settings | {
        "language": info["language"],
        "html_title": info["title"],
        "bilingual_book": book,
        "bilingual_books": BOOKS,
    }


def _quiet_jieba() -> None:
    """Keep jieba (Chinese word segmentation for search) quiet and in the build tree."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    BUILD.mkdir(exist_ok=True)
    jieba.dt.tmp_dir = str(BUILD)
