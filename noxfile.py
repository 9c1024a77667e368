"""The project's front door: every task is a nox session.

    nox -s docs            build both books into docs/_build/html
    nox -s execute -- --shard I/N   execute one shard of the pages (CI runners)
    nox -s merge -- DIR... merge the shards' execution caches (then docs -- --cached-only)
    nox -s serve [-- zh]   live preview of one book (d2l_book/serve.py)
    nox -s pdf [-- zh]     print each book: docs/_build/pdf/d2l-prep-<book>.pdf
    nox -s tests           pytest (in parallel): package, sources, engine, site, browser
    nox -s tests_package   the package's tests alone, without Sphinx or the engine
    nox -s check           quick author check, no build (under a minute)
    nox -s lint            ruff check + format check
    nox -s save [-- --check]   regenerate (or check) the #@save modules
    nox -s bench           build-speed, import-time and page-weight figures
    nox -s dist            build wheel + sdist, twine check, try the wheel

docs, execute, merge, serve, pdf, tests, check and bench share ONE virtual environment,
``.nox/book`` (the package with its ``docs`` and ``test`` extras, about
1.6 GB), made by this file rather than by nox, which would give each session
its own. It is installed once and again only when ``pyproject.toml`` or
``constraints.txt`` changes (their hash is kept in the environment); delete
``.nox/book`` or set ``D2L_REINSTALL=1`` to force it. ``save`` and ``lint``
share ``.nox/ruff``, which holds ruff alone (the version ``constraints.txt``
pins; delete the folder after changing the pin): ``save`` formats the modules
it writes with it. ``dist`` (build, twine) and ``tests_package`` (the package, pytest) keep
their own small environments.

Installs use pip (``uv`` would not see the local CPU wheel of PyTorch);
``constraints.txt`` pins torch for every install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

CONSTRAINTS = ("-c", "constraints.txt")
# The shared environment and what goes into it.
BOOK_ENV = ROOT / ".nox" / "book"
BOOK_EXTRAS = "docs,test"
STAMP = BOOK_ENV / "d2l-prep-install.sha256"
# lint and save share a small environment holding ruff alone.
RUFF_ENV = ROOT / ".nox" / "ruff"
# `nox -s tests_package`: what tests/package needs besides the package itself.
PACKAGE_TEST_TOOLS = ("pytest>=8", "hypothesis>=6.100", "pandas>=2.2", "ipython>=8")
# `nox -s check`: the tests that need no build, no browser and no kernel, and
# take seconds: the book's sources (parity en/zh, the #@save check, the
# glossary, the cell reader, code size, the hosted site's tooling) and the
# alt-text checker of the site's tests (its built-site part is left out).
CHECK_TESTS = (
    "tests/sources",
    "tests/site/test_alt_text.py",
)
# `nox -s tests`: pytest-xdist, one worker per core; ``loadgroup`` keeps the
# tests marked ``xdist_group`` on one worker (tests/site/test_pdf.py), a saving
# only: the tests are safe in any order.  The command line's own ``-n``
# (``-n 0``: one process), ``--dist`` or ``-p no:xdist`` wins.
XDIST = ("-n", "auto", "--dist", "loadgroup")


def _install_key() -> str:
    """Hash of what the shared environment's install depends on."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} {BOOK_EXTRAS}\n".encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _book_env(session: nox.Session) -> dict[str, str]:
    """Create or refresh ``.nox/book``; return the environment to run in it.

    Nothing is installed when the stamp matches ``pyproject.toml`` and
    ``constraints.txt`` (the package itself is installed editable, so changes
    under ``src/`` need no reinstall).
    """
    python = BOOK_ENV / "bin" / "python"
    key = _install_key()
    fresh = (
        python.exists()
        and STAMP.is_file()
        and STAMP.read_text(encoding="utf-8").strip() == key
        and os.environ.get("D2L_REINSTALL") != "1"
    )
    if not fresh:
        STAMP.unlink(missing_ok=True)  # a failed install is retried next time
        if not python.exists():
            session.run_install(sys.executable, "-m", "venv", str(BOOK_ENV))
        pip = (str(python), "-m", "pip", "install", *CONSTRAINTS)
        session.run_install(*pip, "--upgrade", "pip")
        session.run_install(*pip, "-e", f".[{BOOK_EXTRAS}]")
        STAMP.write_text(key + "\n", encoding="utf-8")
    else:
        session.log(f"{BOOK_ENV.relative_to(ROOT)} is up to date: no install")
    bin_dir = str(BOOK_ENV / "bin")
    return {
        "VIRTUAL_ENV": str(BOOK_ENV),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }


def _ruff_env(session: nox.Session) -> str:
    """The python of ``.nox/ruff``: ruff alone, as ``constraints.txt`` pins it.

    Made on first use; reinstalled when ``constraints.txt`` changes.
    """
    python = RUFF_ENV / "bin" / "python"
    stamp = RUFF_ENV / "constraints.sha256"
    key = hashlib.sha256((ROOT / "constraints.txt").read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != key:
        if not python.exists():
            session.run_install(sys.executable, "-m", "venv", str(RUFF_ENV))
        session.run_install(str(python), "-m", "pip", "install", *CONSTRAINTS, "ruff")
        stamp.write_text(key + "\n", encoding="utf-8")
    return str(python)


def _run(session: nox.Session, env: dict[str, str], *args: str) -> None:
    """Run a command of the shared environment (``python``, ``pytest``...)."""
    command = str(BOOK_ENV / "bin" / args[0])
    session.run(command, *args[1:], env=env, external=True)


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    """Build both books strictly, plus the landing page."""
    env = _book_env(session)
    _run(session, env, "python", "-m", "d2l_book", "build", *session.posargs)


@nox.session(venv_backend="none")
def execute(session: nox.Session) -> None:
    """Execute one shard of the pages: ``nox -s execute -- --shard 2/4``."""
    env = _book_env(session)
    _run(session, env, "python", "-m", "d2l_book", "execute", *session.posargs)


@nox.session(venv_backend="none")
def merge(session: nox.Session) -> None:
    """Merge shards' caches: ``nox -s merge -- shards/*`` (see d2l_book/merge.py)."""
    env = _book_env(session)
    _run(session, env, "python", "-m", "d2l_book", "merge", *session.posargs)


@nox.session(venv_backend="none")
def serve(session: nox.Session) -> None:
    """Live preview of one language: ``nox -s serve -- zh`` (default en).

    The port is 8000, or ``D2L_SERVE_PORT``.
    """
    env = _book_env(session)  # the engine checks the book's name
    _run(session, env, "python", "-m", "d2l_book", "serve", *session.posargs)


@nox.session(venv_backend="none")
def pdf(session: nox.Session) -> None:
    """Print each book as a PDF (LaTeX, xelatex) from the cached execution."""
    env = _book_env(session)
    _run(session, env, "python", "-m", "d2l_book", "pdf", *session.posargs)


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Type check, then pytest: package, sources, engine, built site, browser.

    ``nox -s tests -- -m "not site"`` leaves out the built site (README).  The
    tests run in parallel (``XDIST``); ``nox -s tests -- -n 0`` runs them in
    one process.
    """
    env = _book_env(session)
    _run(session, env, "mypy")
    _run(session, env, "pytest", *_xdist(session.posargs), *session.posargs)


def _xdist(posargs: list[str]) -> tuple[str, ...]:
    """``XDIST``, unless the arguments choose the workers themselves."""
    own = any(
        arg.startswith(("-n", "--numprocesses", "--dist")) or arg == "no:xdist"
        for arg in posargs
    )
    return () if own else XDIST


@nox.session
def tests_package(session: nox.Session) -> None:
    """tests/package in a small environment: d2l_prep and what a reader has.

    No Sphinx and no engine (tests/package/test_isolation.py keeps them out):
    the package, pytest and Hypothesis, plus what a reader runs it with: pandas
    reads the CSV files it writes, and IPython is the notebook whose figures it
    turns into SVG. PyTorch comes from the local CPU wheel, hence pip.
    """
    session.install(*CONSTRAINTS, ".", *PACKAGE_TEST_TOOLS)
    session.run("pytest", "-p", "no:cacheprovider", "tests/package", *session.posargs)


@nox.session(venv_backend="none", requires=["lint"])
def check(session: nox.Session) -> None:
    """Quick author check, no build: lint, then the tests of ``CHECK_TESTS``.

    Tests marked ``build`` or ``browser`` in those files are left out.
    """
    env = _book_env(session)
    selection = session.posargs or CHECK_TESTS
    _run(session, env, "pytest", "-q", "-m", "not build and not browser", *selection)


@nox.session(venv_backend="none")
def save(session: nox.Session) -> None:
    """Regenerate the package's #@save modules (``-- --check`` only checks).

    The tool reads pages with the standard library and formats the modules
    with ruff, so it runs in the small ruff environment it shares with
    ``lint`` (no torch, no Sphinx).
    """
    python = _ruff_env(session)
    session.run(python, "-m", "d2l_book", "save", *session.posargs, external=True)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Cold/no-op/prose-edit build times, import times and page weights."""
    env = _book_env(session)
    _run(session, env, "python", "-m", "tools.bench", *session.posargs)


@nox.session
def dist(session: nox.Session) -> None:
    """Build the wheel and the sdist, check them, try the wheel in a fresh venv."""
    session.install(*CONSTRAINTS, "build>=1.2", "twine>=5")
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(out))
    session.run("twine", "check", "--strict", *map(str, sorted(out.iterdir())))
    session.run("python", "tools/check_dist.py", str(out))


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """ruff lint and format check over the package, tests and tooling."""
    python = _ruff_env(session)
    session.run(python, "-m", "ruff", "check", ".", external=True)
    session.run(python, "-m", "ruff", "format", "--check", ".", external=True)
