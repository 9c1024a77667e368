"""The ``d2l_prep`` wheel that every notebook's first cell installs.

:func:`build_wheel` builds the package's wheel with pip (``pip wheel --no-deps
--no-build-isolation``, setuptools from the build's own environment) from a
copy of its sources in the build folder, so the checkout gets no ``build/``
or ``*.egg-info``.  ``SOURCE_DATE_EPOCH`` fixes the time of every file in the
wheel, so the same sources give the same bytes; the wheel is kept under a
hash of its sources and the setuptools version, so a build whose package did
not change reuses it without running pip.  :func:`publish` copies it into the
site's ``packages/`` folder, which ``site_files.py`` keeps.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from d2l_book.settings import ROOT

# What the wheel is made of (besides the package's folder).
SOURCE_FILES = ("pyproject.toml", "README.md")
PACKAGE = Path("src") / "d2l_prep"
# The site's folder of wheels.
PACKAGES = "packages"
# 1980-01-01, the earliest time a zip file (a wheel) can hold.
EARLIEST_ZIP_TIME = 315532800


def _project() -> tuple[str, str]:
    """The distribution's name and version, from pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    found = {
        key: re.search(rf'^{key}\s*=\s*"([^"]+)"', project, re.M)
        for key in ("name", "version")
    }
    if found["name"] is None or found["version"] is None:
        raise ValueError("pyproject.toml: [project] has no name or version")
    return found["name"][1], found["version"][1]


def wheel_name() -> str:
    """``d2l_prep-<version>-py3-none-any.whl``, the wheel's file name."""
    name, version = _project()
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-py3-none-any.whl"


def _sources() -> list[Path]:
    files = [ROOT / name for name in SOURCE_FILES]
    package = ROOT / PACKAGE
    files += sorted(
        p
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    return files


def source_key() -> str:
    """A hash of the wheel's sources and the setuptools that builds it."""
    digest = hashlib.sha256(f"setuptools=={metadata.version('setuptools')}\n".encode())
    for path in _sources():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_wheel(build_dir: Path) -> Path:
    """The package's wheel for the current sources, built once per source hash."""
    folder = build_dir / "wheels" / source_key()
    wheel = folder / wheel_name()
    if wheel.is_file():
        return wheel
    shutil.rmtree(folder, ignore_errors=True)
    tree = folder / "src-copy"
    for path in _sources():
        target = tree / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o644)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    env = dict(os.environ, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env["SOURCE_DATE_EPOCH"] = str(max(int(epoch or 0), EARLIEST_ZIP_TIME))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps"]
    command += ["--no-build-isolation", "-q", "-w", str(folder), str(tree)]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    shutil.rmtree(tree, ignore_errors=True)
    if result.returncode or not wheel.is_file():
        raise RuntimeError(
            f"pip wheel failed to build {wheel.name}:\n{result.stdout}{result.stderr}"
        )
    return wheel


def publish(wheel: Path, html: Path) -> Path:
    """Copy the wheel into the site's ``packages/`` (only if its bytes differ)."""
    target = html / PACKAGES / wheel.name
    if not target.is_file() or target.read_bytes() != wheel.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(wheel, target)
    return target


def prune_wheels(build_dir: Path) -> list[Path]:
    """Delete the wheels of sources that are gone (all but the current one)."""
    keep = source_key()
    folder = build_dir / "wheels"
    stale = (
        [p for p in sorted(folder.iterdir()) if p.name != keep]
        if folder.is_dir()
        else []
    )
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale
