"""Sphinx configuration shared by both books.

``docs/en/conf.py`` and ``docs/zh/conf.py`` import everything from here and
then apply :func:`language_settings` for their language, so a setting is
written once and means the same in both books.
"""

from __future__ import annotations

import copy
import os
import re
import string
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
# The build folder, the books and the execution cache key are defined once, in
# docs/_ext/layout.py (D2L_BUILD_DIR moves the build folder).
from bilingual import REPO_LABELS  # noqa: E402
from hosted_site import not_found_body, site_url  # noqa: E402
from layout import BOOKS, BUILD, REPO_URL, cell_timeout, execution_cache  # noqa: E402
from ui_locale import catalogue_digest, prepare  # noqa: E402

# Kernels started by MyST-NB inherit the environment: the book's figures get
# a fixed SVG hash salt, no timestamps and a transparent background.
os.environ["MATPLOTLIBRC"] = str(DOCS / "matplotlibrc")
# Matplotlib stamps SVG figures with this date instead of "now".  (Sphinx
# ignores the value 0, so the copyright line is left alone.)
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


# -- Project ------------------------------------------------------------------
project = "d2l-prep"
# Per book: the authors as each book names them (footer and title page).
AUTHORS = {"en": "The d2l-prep authors", "zh": "d2l-prep 作者"}
author = AUTHORS["en"]
COPYRIGHT_YEAR = "2026"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
    "sphinx_design",
    "bilingual",
    "figure_text",
    "kernel_ipc",
    "clean_outputs",
    "notebooks",
    "offline_math",
    "solutions",
    "notfound.extension",
    "sphinxext.opengraph",
    "hosted_site",
    "csp",
    "search_index",
    "reread",
    "ui_locale",
    "api_origin",
    "glossary_tips",
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
# Where the extensions keep their build state (docs/_ext/notebooks.py).
d2l_build_dir = str(BUILD)
nb_execution_in_temp = True  # pages never write into docs/
# Seconds per cell: D2L_CELL_TIMEOUT, or a page's front matter
# `mystnb: {execution_timeout: N}` (docs/_ext/layout.py).
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
# HTML and in the PDF alike; the words are in language_settings (numfig_format).
numfig = True
numfig_secnum_depth = 1
NUMFIG_FORMAT = {"en": {"figure": "Figure %s"}, "zh": {"figure": "图 %s"}}


# The pages after the numbered chapters (appendix, glossary, API) are lettered
# appendices, A, B, C, in both editions: the PDF starts LaTeX's \appendix before
# the first of them, and the HTML numbers their figures A.1, C.2 (Sphinx would
# count them on from 1 across those pages, unlike the PDF).
def appendices(env: Any) -> list[str]:
    """The pages of the root toctrees that no numbered toctree numbers, in order."""
    root = env.config.root_doc
    includes = env.toctree_includes.get(root, [])
    return [doc for doc in includes if not env.toc_secnumbers.get(doc)]


def _sphinx_figure_numbers(app: Any, env: Any) -> list[str]:
    """Before Sphinx numbers the figures: put back the numbers it gave last time,
    so that an unchanged appendix page does not look renumbered (and rewritten)."""
    env.toc_fignumbers.update(getattr(env, "d2l_sphinx_fignumbers", {}))
    return []


def _letter_appendix_figures(app: Any, env: Any) -> list[str]:
    """After Sphinx numbers the figures: (letter, n) on the appendix pages.

    Returns the pages whose letters changed, to be written again.
    """
    before = getattr(env, "d2l_lettered_fignumbers", {})
    env.d2l_sphinx_fignumbers, env.d2l_lettered_fignumbers = {}, {}
    for letter, doc in zip(string.ascii_uppercase, appendices(env), strict=False):
        numbers = env.toc_fignumbers.get(doc)
        if not numbers:
            continue
        env.d2l_sphinx_fignumbers[doc] = copy.deepcopy(numbers)
        for figures in numbers.values():
            ordered = sorted(figures, key=figures.__getitem__)
            figures.update({key: (letter, n) for n, key in enumerate(ordered, 1)})
        env.d2l_lettered_fignumbers[doc] = copy.deepcopy(numbers)
    lettered = env.d2l_lettered_fignumbers
    return [doc for doc in lettered if lettered[doc] != before.get(doc)]


def _latex_appendix(app: Any, doctree: Any, docname: str) -> None:
    """In the PDF's one document: \\appendix before the first appendix page."""
    from docutils import nodes  # noqa: PLC0415
    from sphinx import addnodes  # noqa: PLC0415

    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    first = set(appendices(app.env)[:1])
    for start in doctree.findall(addnodes.start_of_file):
        if start["docname"] in first:
            # Sphinx numbers figures by \arabic{chapter}: by the letter here.
            tex = r"\appendix\renewcommand{\thefigure}{\thechapter.\arabic{figure}}"
            raw = nodes.raw("", tex, format="latex")
            start.parent.insert(start.parent.index(start), raw)
            return


# Matplotlib writes a Dublin Core block into every SVG figure (its own name and
# version, a date that SOURCE_DATE_EPOCH sets to 1970): half a kilobyte per
# figure that no reader sees. The HTML copies of the figures lose it.
_SVG_METADATA = re.compile(rb"\s*<metadata>.*?</metadata>", re.DOTALL)


def _strip_svg_metadata(app: Any, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in sorted(Path(app.outdir, "_images").glob("*.svg")):
        data = path.read_bytes()
        lean = _SVG_METADATA.sub(b"", data, count=1)
        if lean != data:
            path.write_bytes(lean)


def setup(app: Any) -> None:
    """Letter the appendices and lighten the SVG figures (see above)."""
    app.connect("env-get-updated", _sphinx_figure_numbers, priority=100)
    app.connect("env-get-updated", _letter_appendix_figures, priority=900)
    app.connect("doctree-resolved", _latex_appendix)
    app.connect("build-finished", _strip_svg_metadata)


# -- Autodoc ------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False

# -- Output -------------------------------------------------------------------
html_theme = "furo"
# Furo's hard-coded labels go through the interface catalogue (ui_locale.py).
template_bridge = "ui_locale.TranslatingTemplateLoader"
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
# Where the book lives: D2L_REPO_URL (layout.py); unset, no page links it.
d2l_repo_url = REPO_URL


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
            "copyright": f"{COPYRIGHT_YEAR}{_COMMA[book]}{AUTHORS[book]}",
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


_COMMA = {"en": ", ", "zh": "，"}


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


def _quiet_jieba() -> None:
    """Keep jieba (Chinese word segmentation for search) quiet and in the build tree."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    BUILD.mkdir(exist_ok=True)
    jieba.dt.tmp_dir = str(BUILD)


# -- Print edition: docs/pdf.py (LaTeX builder → xelatex) ------------------------
# Figures are SVG (the LaTeX builder cannot take them): rsvg-convert turns them
# into vector PDFs. Both books load xeCJK with Debian's Noto CJK fonts, since
# the English glossary also prints Chinese terms. XeTeX has no font fallback of
# its own: emoji and other pictographs (U+1F000-U+1FAFF) are put in xeCJK's CJK
# class, whose fallback font is Symbola (fonts-symbola; Noto Color Emoji is a
# bitmap font xelatex cannot use). Any other character the fonts lack is an
# error (\tracinglostchars=3), which docs/pdf.py reports with its page.
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
