"""Sphinx configuration of both books: ``sphinx-build -c docs docs/<book> OUT``.

A setting is written once and means the same in both books; what differs
between them (language, title, search, LaTeX) is applied when Sphinx has read
this file, from the name of the source folder (``en`` or ``zh``): see
:func:`setup` and :func:`language_settings`.  The engine that builds the
books, and the extensions named below, are the package ``d2l_book`` at the
root of the repository.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The one path insert of the project: a plain sphinx-build finds the engine.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The build folder, the books and the execution cache key are defined once, in
# d2l_book/settings.py (D2L_BUILD_DIR moves the build folder).
from d2l_book.settings import (  # noqa: E402
    AUTHORS,
    BOOKS,
    BUILD,
    CODE_PROMPTS,
    COMMA,
    COPYRIGHT_YEAR,
    MYST_EXTENSIONS,
    NUMFIG_FORMAT,
    REPO_LABELS,
    REPO_URL,
    cell_timeout,
    execution_cache,
    set_kernel_environment,
)
from d2l_book.sphinxext.chinese_words import cuts_words, prepare_jieba  # noqa: E402
from d2l_book.sphinxext.hosted_site import not_found_body, site_url  # noqa: E402
from d2l_book.sphinxext.ui_locale import catalogue_digest, prepare  # noqa: E402

# Kernels started by MyST-NB inherit the environment (matplotlibrc, dates).
set_kernel_environment()


# -- Project ------------------------------------------------------------------
project = "d2l-prep"
author = AUTHORS["en"]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
    "sphinx_design",
    "d2l_book.sphinxext.bilingual",
    "d2l_book.sphinxext.figure_text",
    "d2l_book.sphinxext.figure_outlines",
    "d2l_book.sphinxext.kernel_ipc",
    "d2l_book.sphinxext.clean_outputs",
    "d2l_book.sphinxext.notebooks",
    "d2l_book.sphinxext.offline_math",
    "d2l_book.sphinxext.solutions",
    "notfound.extension",
    # Also loads sphinxext.opengraph, without its social cards.
    "d2l_book.sphinxext.hosted_site",
    "d2l_book.sphinxext.csp",
    "d2l_book.sphinxext.compiled_templates",
    "d2l_book.sphinxext.plain_tokens",
    "d2l_book.sphinxext.search_index",
    "d2l_book.sphinxext.reread",
    "d2l_book.sphinxext.ui_locale",
    "d2l_book.sphinxext.api_origin",
    "d2l_book.sphinxext.glossary_tips",
    "d2l_book.sphinxext.last_changed",
    "d2l_book.sphinxext.search_text",
    "d2l_book.sphinxext.numbered_figures",
    # Last: values other extensions change, declared as they end up.
    "d2l_book.sphinxext.stable_config",
]
# Relative to this folder, as Sphinx resolves them: no checkout's path enters
# the configuration's hash in each book's .buildinfo, so two checkouts (two CI
# runners, merged shards) build identical sites.
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["d2l-prep.css"]
html_favicon = "_static/favicon.svg"
suppress_warnings: list[str] = []

# -- MyST and MyST-NB -----------------------------------------------------------
myst_enable_extensions = MYST_EXTENSIONS
myst_heading_anchors = 3
# MathJax's noundefined package prints an unknown command in red and reports no
# error; without it the formula becomes an error node (mjx-merror), which the
# browser tests look for on every page, as xelatex would stop on it.
mathjax3_config = {"tex": {"packages": {"[-]": ["noundefined"]}}}

# One cache for both languages: jupyter-cache hashes the code cells only, so a
# page pair with identical code executes once.
nb_execution_mode = "cache"
# The key also covers Python's and the main libraries' versions, the runtime
# package's sources and matplotlibrc, which shape outputs without being in any
# cell: change one and every page re-executes.
nb_execution_cache_path = str(execution_cache(BUILD))
# Where the extensions keep their build state (d2l_book/sphinxext/notebooks.py).
d2l_build_dir = str(BUILD)
nb_execution_in_temp = True  # pages never write into docs/
# Seconds per cell: D2L_CELL_TIMEOUT, or a page's front matter
# `mystnb: {execution_timeout: N}` (d2l_book/settings.py).
nb_execution_timeout = cell_timeout()
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_mime_priority_overrides = [("html", "image/svg+xml", 5)]

# -- Numbered figures -------------------------------------------------------------
# A figure is a code cell's image with `mystnb: figure: {name, caption}` in its
# metadata; the name (fig-<page>-<what>) is the same in both books, so
# {numref}`fig-calculus-tangents` works in either. Figures are numbered per
# chapter (the chapters' toctree is numbered): "Figure 4.2" / "图 4.2", in the
# HTML and in the PDF alike; the words are
# d2l_book/settings.py's NUMFIG_FORMAT; d2l_book/sphinxext/numbered_figures.py
# letters the appendices.
numfig = True
numfig_secnum_depth = 1


# -- Autodoc ------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False

# -- Output -------------------------------------------------------------------
html_theme = "furo"
# Furo's hard-coded labels go through the interface catalogue (ui_locale.py).
template_bridge = "d2l_book.sphinxext.ui_locale.TranslatingTemplateLoader"
html_theme_options = {
    # Top-of-page buttons: "view" offers the notebook, "edit" switches language.
    "top_of_page_buttons": ["view", "edit"],
}
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True


# -- The hosted site -------------------------------------------------------------
# The site's address is one setting, D2L_SITE_URL (default: a local preview at
# http://127.0.0.1:8000/, see hosted_site.py); each book's html_baseurl, 404
# prefix and Open Graph URLs derive from it (language_settings).  Open Graph
# meta: text only, no generated social-card images.
ogp_social_cards = {"enable": False}
# Where the book lives: D2L_REPO_URL (settings.py); unset, no page links it.
d2l_repo_url = REPO_URL


def language_settings(book: str) -> dict[str, object]:
    """Return the settings that differ between the English and Chinese books."""
    if book not in BOOKS:
        raise ValueError(f"book must be one of {sorted(BOOKS)}, got {book!r}")
    info = BOOKS[book]
    show, hide = CODE_PROMPTS[book]
    settings: dict[str, object] = {
        "nb_code_prompt_show": show,
        "nb_code_prompt_hide": hide,
    }
    if cuts_words(info["language"]):
        prepare_jieba(BUILD)
        # Sphinx loads jieba's own dictionary a second time as a "user"
        # dictionary unless told otherwise: 2-3 s per build, for nothing.
        settings["html_search_options"] = {"dict": ""}
    site = site_url()
    return (
        settings
        | {
            "html_baseurl": f"{site}{book}/",
            "ogp_site_url": f"{site}{book}/",
            "notfound_urls_prefix": f"{urlsplit(site).path}{book}/",
            "notfound_context": {"title": "404", "body": not_found_body(site)},
            "language": info["language"],
            "html_title": info["title"],
            "copyright": f"{COPYRIGHT_YEAR}{COMMA[book]}{AUTHORS[book]}",
            # The interface strings Sphinx's catalogues lack (ui_locale.py),
            # compiled into the build folder.
            "locale_dirs": prepare(info["language"], BUILD / "locale"),
            "ui_catalogue_digest": catalogue_digest(info["language"]),
            "html_theme_options": html_theme_options | footer_links(book),
            "numfig_format": NUMFIG_FORMAT[book],
            "bilingual_book": book,
            "bilingual_books": BOOKS,
        }
        | latex_settings(book)
    )


def apply_language_settings(app: Any, config: Any) -> None:
    """``config-inited``: the settings of the book in the source folder (en, zh).

    Sphinx loads its translations before it sets up any extension, from the
    ``language`` of this file, which names no book: so once the book's
    language is set, they are loaded again, before the builder and its
    templates are made.  The few strings Sphinx translates when a module is
    imported (the Python module index's title) keep the first language:
    ``python -m d2l_book`` gives ``-D language=...`` too, so in its builds
    they are translated as well.
    """
    book = Path(app.srcdir).name
    if book not in BOOKS:
        raise ValueError(
            f"the source folder must be one of {sorted(BOOKS)} (docs/en, docs/zh), "
            f"got {str(app.srcdir)!r}"
        )
    # What Sphinx has loaded its translations from (the interface catalogue
    # of ui_locale.py is among the book's locale_dirs).
    loaded = (config.language, list(config.locale_dirs))
    for name, value in language_settings(book).items():
        config[name] = value
    if (config.language, list(config.locale_dirs)) != loaded:
        app._init_i18n()  # Sphinx's own step, run again


def setup(app: Any) -> dict[str, Any]:
    """This file as an extension: the book's settings come first of all handlers."""
    app.connect("config-inited", apply_language_settings, priority=0)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def footer_links(book: str, repo: str = REPO_URL) -> dict[str, object]:
    """Furo's footer links: the repository, named in the book's language, if set."""
    if not repo:
        return {}
    label = REPO_LABELS[book]["repo"]
    return {
        "footer_icons": [
            {"name": label, "url": repo, "html": label, "class": "repo-link"}
        ]
    }


# -- Print edition: d2l_book/pdf.py (LaTeX builder → xelatex) --------------------
# Figures are SVG (the LaTeX builder cannot take them): rsvg-convert turns them
# into vector PDFs. Both books load xeCJK with Debian's Noto CJK fonts, since
# the English glossary also prints Chinese terms. XeTeX has no font fallback of
# its own: emoji and other pictographs (U+1F000-U+1FAFF) are put in xeCJK's CJK
# class, whose fallback font is Symbola (fonts-symbola; Noto Color Emoji is a
# bitmap font xelatex cannot use). Any other character the fonts lack is an
# error (\tracinglostchars=3), which d2l_book/pdf.py reports with its page.
extensions.append("sphinxcontrib.rsvgconverter")
nb_mime_priority_overrides.append(("latex", "image/svg+xml", 15))
latex_engine = "xelatex"
latex_show_urls = "no"
latex_use_xindy = False
latex_domain_indices = False
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "fontenc": r"""\usepackage{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
\xeCJKDeclareCharClass{CJK}{"1F000 -> "1FAFF}
\setCJKfallbackfamilyfont{\CJKrmdefault}{Symbola}
\setCJKfallbackfamilyfont{\CJKsfdefault}{Symbola}
\setCJKfallbackfamilyfont{\CJKttdefault}{Symbola}
\xeCJKsetup{AutoFallBack=true}
\tracinglostchars=3""",
    "fvset": r"\fvset{fontsize=\small,formatcom=\xeCJKVerbAddon}",
    "maketitle": r"\date{}\sphinxmaketitle",  # no build date on the title page
    "makeindex": "",
    "printindex": "",
}


# Per book: in English, quotes and dashes stay Latin (xeCJK would set them
# full width); Chinese chapters open with "第 3 章", as do their running heads
# (Sphinx's page style appends \@chappos, defined for Japanese, to the number).
_LATEX_PREAMBLE = {
    "en": r'\xeCJKDeclareCharClass{Default}{"2013,"2014,"2018,"2019,"201C,"201D,"2026}',
    "zh": r"""\addto\captionsenglish{\renewcommand{\chaptername}{第}}
\makeatletter
\def\@chappos{章}
\renewcommand{\DOCH}{\CNV\FmN{\@chapapp\,\thechapter\,\@chappos}\par\nobreak\vskip 20\p@}
\addto\captionsenglish{\renewcommand{\appendixname}{附录}}
\g@addto@macro\appendix{\def\@chappos{}}
% A caption reads 图 4.1　… (a space, not a colon); otherwise report.cls's own.
\long\def\@makecaption#1#2{\vskip\abovecaptionskip\sbox\@tempboxa{#1\quad #2}%
\ifdim\wd\@tempboxa>\hsize #1\quad #2\par\else\global\@minipagefalse
\hb@xt@\hsize{\hfil\box\@tempboxa\hfil}\fi\vskip\belowcaptionskip}
\makeatother""",
}


def latex_settings(book: str) -> dict[str, object]:
    """The LaTeX document of one book, ``d2l-prep-<book>.tex``, from its index.

    Only the index's toctrees are printed (its prose speaks of the website).
    """
    title = BOOKS[book]["title"]
    authors = AUTHORS[book]
    elements = latex_elements | {"preamble": _LATEX_PREAMBLE[book]}
    return {
        "latex_documents": [
            ("index", f"d2l-prep-{book}.tex", title, authors, "manual", True)
        ],
        "latex_elements": elements,
    }
