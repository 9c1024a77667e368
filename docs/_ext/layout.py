"""Where the build lives, which books there are, and the execution cache key.

The one place these are defined: ``docs/conf.py``, ``docs/build.py``, the
extensions and the tests import them from here.  Importing this module is
cheap (no Sphinx, no Jupyter).
"""

from __future__ import annotations

import hashlib
import os
import sys
from importlib import metadata
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
# All build state lives here; D2L_BUILD_DIR moves it (e.g. for a side build).
BUILD = Path(os.environ.get("D2L_BUILD_DIR", DOCS / "_build")).resolve()


def repo_url(value: str | None = None) -> str:
    """The book's repository (``$D2L_REPO_URL``), without a trailing ``/``; '' if unset.

    When set, every page links its source and the issue tracker, and the footer
    links the repository (bilingual.py); when unset, no such link is shown.
    """
    url = (os.environ.get("D2L_REPO_URL", "") if value is None else value).strip()
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"D2L_REPO_URL must be an http(s) URL, got {url!r}")
    return url.rstrip("/")


REPO_URL = repo_url()

# Both books, for the builder, the switcher and <link rel="alternate" hreflang>.
BOOKS: dict[str, dict[str, str]] = {
    "en": {"language": "en", "hreflang": "en", "title": "d2l-prep: Preliminaries"},
    "zh": {"language": "zh_CN", "hreflang": "zh-CN", "title": "d2l-prep：预备知识"},
}

# Seconds a kernel, a Sphinx process or a preview's rebuild gets to exit after
# SIGTERM before its process group gets SIGKILL.
STOP_GRACE = 2.0

# Installed packages whose version can change what a cell prints or draws.
KEY_PACKAGES = ("torch", "numpy", "matplotlib", "pandas", "ipykernel")
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
