"""The build's settings: where it lives, the books, the cache key, the limits.

The one place these are defined: ``docs/conf.py``, the engine
(``d2l_book``), its Sphinx extensions and the tests import them from here, and every ``D2L_*``
environment variable is read here (a bad value fails naming the variable):

- ``D2L_BUILD_DIR``: the build folder (default ``docs/_build``);
- ``D2L_EXECUTOR``: ``fork`` or ``launch`` kernels (:func:`executor`);
- ``D2L_KERNEL_THREADS``: threads per kernel (:func:`kernel_threads`);
- ``D2L_KERNEL_MEMORY``: GiB of memory per kernel (:func:`kernel_memory`);
- ``D2L_CELL_TIMEOUT``: seconds per cell (:func:`cell_timeout`);
- ``D2L_SITE_URL``: the hosted site's address (:func:`site_url`);
- ``D2L_REPO_URL``: the repository the pages link to (:func:`repo_url`);
- ``D2L_SERVE_PORT``: the live preview's port (:func:`serve_port`).

Importing this module is cheap (no Sphinx, no Jupyter).
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"  # the books' sources: content only
# All build state lives here; D2L_BUILD_DIR moves it (e.g. for a side build).
BUILD = Path(os.environ.get("D2L_BUILD_DIR", DOCS / "_build")).resolve()
HTML = BUILD / "html"  # the site: both books, the landing page, the downloads


def repo_url(value: str | None = None) -> str:
    """The book's repository (``$D2L_REPO_URL``), without a trailing ``/``; '' if unset.

    When set, every page links its source and the issue tracker, the footer
    links the repository (bilingual.py), and each notebook's first cell installs
    d2l_prep from it with ``git+`` (notebooks.py) instead of the site's wheel;
    when unset, no such link is shown.
    """
    url = (os.environ.get("D2L_REPO_URL", "") if value is None else value).strip()
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"D2L_REPO_URL must be an http(s) URL, got {url!r}")
    return url.rstrip("/")


REPO_URL = repo_url()

# The MyST syntax extensions the pages use (conf.py, and the execution step,
# which reads the pages as MyST-NB does).
MYST_EXTENSIONS = ["amsmath", "colon_fence", "dollarmath", "deflist"]


def set_kernel_environment() -> None:
    """The environment every kernel inherits, set in this process.

    The book's figures get a fixed SVG hash salt, no timestamps and a
    transparent background (``docs/matplotlibrc``); Matplotlib stamps SVG
    figures with ``SOURCE_DATE_EPOCH`` instead of "now" (Sphinx ignores the
    value 0, so the copyright line is left alone).
    """
    os.environ["MATPLOTLIBRC"] = str(DOCS / "matplotlibrc")
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


# Both books, for the builder, the switcher and <link rel="alternate" hreflang>.
BOOKS: dict[str, dict[str, str]] = {
    "en": {"language": "en", "hreflang": "en", "title": "d2l-prep: Preliminaries"},
    "zh": {"language": "zh_CN", "hreflang": "zh-CN", "title": "d2l-prep：预备知识"},
}

# -- What each book says in its own language (besides its pages) --
# The authors as each book names them (footer and title page), and the
# copyright line's separator.
AUTHORS = {"en": "The d2l-prep authors", "zh": "d2l-prep 作者"}
COPYRIGHT_YEAR = "2026"
COMMA = {"en": ", ", "zh": "，"}
# MyST-NB's buttons on a folded #@save cell: (show, hide).
CODE_PROMPTS = {
    "en": ("Show the complete definition (saved in d2l_prep)", "Hide the complete definition"),
    "zh": ("显示完整定义（保存在 d2l_prep 包中）", "隐藏完整定义"),
}  # fmt: skip
# How a figure's number reads (Sphinx's numfig_format).
NUMFIG_FORMAT = {"en": {"figure": "Figure %s"}, "zh": {"figure": "图 %s"}}
# The links to where the book lives (D2L_REPO_URL), in each book's language.
REPO_LABELS = {
    "en": {"edit": "Edit this page", "report": "Report a problem", "repo": "Source"},
    "zh": {"edit": "编辑此页", "report": "报告问题", "repo": "源代码"},
}

# Seconds a kernel, a Sphinx process or a preview's rebuild gets to exit after
# SIGTERM before its process group gets SIGKILL.
STOP_GRACE = 2.0

# Installed packages whose version can change what a cell prints or draws:
# the libraries the pages compute and plot with (torch, numpy, matplotlib,
# pandas); the kernel (ipykernel) and IPython, whose display formatter writes
# every output (reprs, display data) and whose ultratb writes the traceback
# of a raises-exception cell; matplotlib-inline, which turns each figure into
# an output (format, tight bounding box, closing); Pillow, through which
# Matplotlib's SVG backend encodes every raster image in a figure (imshow,
# rasterized artists); Pygments, which colors those tracebacks.
KEY_PACKAGES = ("torch", "numpy", "matplotlib", "pandas", "ipykernel", "ipython", "matplotlib-inline", "pillow", "pygments")  # fmt: skip
# The runtime package (not the book tooling) and the figures' style.
KEY_SOURCES = (ROOT / "src" / "d2l_prep", DOCS / "matplotlibrc")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def execution_inputs() -> dict[str, str]:
    """What, besides a page's code, decides its outputs (name -> version)."""
    inputs = {"python": sys.version.split()[0]}
    inputs.update({package: _version(package) for package in KEY_PACKAGES})
    return inputs


def execution_key(
    inputs: dict[str, str] | None = None,
    sources: tuple[Path, ...] = KEY_SOURCES,
    root: Path = ROOT,
) -> str:
    """A short hash of the execution inputs and the sources the pages import."""
    digest = hashlib.sha256()
    for name, version in sorted((inputs or execution_inputs()).items()):
        digest.update(f"{name}=={version}\n".encode())
    files: list[Path] = []
    for source in sources:
        files += sorted(source.rglob("*.py")) if source.is_dir() else [source]
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def execution_cache(build: Path = BUILD) -> Path:
    """The jupyter-cache folder shared by both books for the current inputs."""
    return build / ".jupyter_cache" / execution_key()


# -- Limits and confinement of the kernels (enforced by execution/sandbox.py) --
# Every setting is read here, when it is needed, so that a bad value fails
# with a message naming the variable.

# Seconds a cell may run: D2L_CELL_TIMEOUT, or a page's own front matter
# (``mystnb: {execution_timeout: N}``, MyST-NB's key, so that a plain
# sphinx-build honours it too).  The slowest page of the book runs in 6.9 s,
# all its cells together (measured 2026-12-06, 2 shared cores, two kernels at
# once): 120 s per cell is a wide margin that still stops a runaway loop
# within two minutes.
CELL_TIMEOUT = "D2L_CELL_TIMEOUT"
DEFAULT_CELL_TIMEOUT = 120
# GiB of data memory (RLIMIT_DATA) each kernel may use: D2L_KERNEL_MEMORY.
# The busiest kernel of the book peaks at 0.66 GiB (VmData, 2026-12-06); 4 GiB
# per kernel, one kernel per core, leaves the build, Sphinx and the rest of a
# 2-core 24 GiB machine 16 GiB.
KERNEL_MEMORY = "D2L_KERNEL_MEMORY"
DEFAULT_KERNEL_MEMORY = 4.0
# Matplotlib's folder for every kernel (MPLCONFIGDIR): the font cache the
# build writes before any kernel starts; kernels may only read it.  Each
# kernel's IPYTHONDIR and XDG_CACHE_HOME are its own (execution/sandbox.py).
KERNEL_MATPLOTLIB = BUILD / "kernel-matplotlib"
# Where kernels shared a writable home before (removed by the build).
OLD_KERNEL_HOME = BUILD / "kernel-home"


def _positive(name: str, default: float, whole: bool) -> float:
    """The positive number (an int if ``whole``) in variable ``name``, or ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(int(text)) if whole else float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):
        what = "a positive int" if whole else "a positive number"
        raise ValueError(f"{name} must be {what}, got {text!r}")
    return value


def cell_timeout() -> int:
    """Seconds a cell may run, unless its page says otherwise: ``D2L_CELL_TIMEOUT``."""
    return int(_positive(CELL_TIMEOUT, DEFAULT_CELL_TIMEOUT, whole=True))


def kernel_memory() -> float:
    """GiB of data memory per kernel: ``D2L_KERNEL_MEMORY``."""
    return float(_positive(KERNEL_MEMORY, DEFAULT_KERNEL_MEMORY, whole=False))


def executor() -> str:
    """How kernels start: ``D2L_EXECUTOR``, ``fork``, ``launch`` or "" (default)."""
    choice = os.environ.get("D2L_EXECUTOR", "")
    if choice not in ("", "fork", "launch"):
        raise ValueError(f"D2L_EXECUTOR must be 'fork' or 'launch', got {choice!r}")
    return choice


def kernel_threads() -> int | None:
    """Threads per kernel forced by ``D2L_KERNEL_THREADS`` (bench), else None."""
    forced = os.environ.get("D2L_KERNEL_THREADS", "")
    if forced and not (forced.isdigit() and int(forced) > 0):
        raise ValueError(f"D2L_KERNEL_THREADS must be a positive int, got {forced!r}")
    return int(forced) if forced else None


# The variables that change what the pages say (the others change how pages
# execute, or where the build lives): a build under other values renders again.
SITE_VARIABLES = ("D2L_REPO_URL", "D2L_SITE_URL", "SOURCE_DATE_EPOCH")


def site_url() -> str:
    """``D2L_SITE_URL`` as given, "" if unset (``hosted_site.site_url`` checks it)."""
    return os.environ.get("D2L_SITE_URL", "")


def serve_port() -> int:
    """The live preview's port on 127.0.0.1: ``D2L_SERVE_PORT`` (default 8000)."""
    text = os.environ.get("D2L_SERVE_PORT", "") or "8000"
    if not (text.isdigit() and 0 < int(text) < 65536):
        raise ValueError(f"D2L_SERVE_PORT must be a port (1-65535), got {text!r}")
    return int(text)
