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

# Both books, for the builder, the switcher and <link rel="alternate" hreflang>.
BOOKS: dict[str, dict[str, str]] = {
    "en": {"language": "en", "hreflang": "en", "title": "d2l-prep: Preliminaries"},
    "zh": {"language": "zh_CN", "hreflang": "zh-CN", "title": "d2l-prep：预备知识"},
}

# The repository a notebook's install cell takes d2l_prep from, instead of the
# wheel on the site (docs/_ext/notebooks.py): D2L_REPO_URL, e.g.
# https://github.com/<owner>/d2l-prep (pip installs it with git+).
REPO_URL_SCHEMES = ("https://", "http://", "git+", "ssh://", "file://")


def repo_url() -> str | None:
    """``$D2L_REPO_URL``, or None (the default: install from the site's wheel)."""
    url = os.environ.get("D2L_REPO_URL", "").strip()
    if not url:
        return None
    if not url.startswith(REPO_URL_SCHEMES):
        raise ValueError(
            f"D2L_REPO_URL must start with one of {REPO_URL_SCHEMES}, got {url!r}"
        )
    return url


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
