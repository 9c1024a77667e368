"""The project's front door: every task is a nox session.

    nox -s docs            build both books into docs/_build/html
    nox -s serve [-- zh]   live preview of one book (docs/preview.py)
    nox -s pdf [-- zh]     print each book: docs/_build/pdf/d2l-prep-<book>.pdf
    nox -s tests           pytest: package, book parity, built site, browser
    nox -s lint            ruff check + format check
    nox -s save [-- --check]   regenerate (or check) the #@save modules
    nox -s bench           build-speed, import-time and page-weight figures
    nox -s dist            build wheel + sdist, twine check, try the wheel

Sessions install with pip (``uv`` would not see the local CPU wheel of
PyTorch); ``constraints.txt`` pins torch for every install.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).resolve().parent / "docs" / "_ext"))
from layout import BOOKS  # noqa: E402 (the books, defined once)

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

CONSTRAINTS = ("-c", "constraints.txt")
LANGUAGES = tuple(BOOKS)


def _install(session: nox.Session, extras: str) -> None:
    session.install(*CONSTRAINTS, "--upgrade", "pip")
    session.install(*CONSTRAINTS, "-e", f".[{extras}]")


@nox.session
def docs(session: nox.Session) -> None:
    """Build both books strictly, plus the landing page."""
    _install(session, "docs")
    session.run("python", "docs/build.py", *session.posargs)


@nox.session
def serve(session: nox.Session) -> None:
    """Live preview of one language: ``nox -s serve -- zh`` (default en)."""
    _install(session, "docs")
    # Its server parts: uvicorn, Starlette, watchfiles, the script injector.
    session.install(*CONSTRAINTS, "sphinx-autobuild>=2024.9")
    lang = session.posargs[0] if session.posargs else "en"
    if lang not in LANGUAGES:
        session.error(f"language must be one of {LANGUAGES}, got {lang!r}")
    session.run("python", "docs/build.py", "--serve", lang)


@nox.session
def pdf(session: nox.Session) -> None:
    """Print each book as a PDF (LaTeX, xelatex) from the cached execution."""
    _install(session, "docs")
    session.run("python", "docs/pdf.py", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Type check, then pytest: package, save check, parity, built site, browser."""
    _install(session, "docs,test")
    session.run("mypy")
    session.run("pytest", *session.posargs)


@nox.session
def save(session: nox.Session) -> None:
    """Regenerate the package's #@save modules (``-- --check`` only checks)."""
    _install(session, "docs")
    session.run("python", "docs/_ext/save.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Cold/no-op/prose-edit build times, import times and page weights."""
    _install(session, "docs,test")
    session.run("python", "tools/bench.py", *session.posargs)


@nox.session
def dist(session: nox.Session) -> None:
    """Build the wheel and the sdist, check them, try the wheel in a fresh venv."""
    session.install(*CONSTRAINTS, "build>=1.2", "twine>=5")
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(out))
    session.run("twine", "check", "--strict", *map(str, sorted(out.iterdir())))
    session.run("python", "tools/check_dist.py", str(out))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check over the package, tests and tooling."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
