"""Render the books with Sphinx: one process per book, both at once.

Sphinx and its extensions are imported once, in the building process; each
book is rendered in a child forked from it (or, where ``os.fork`` is not
used, in a new ``python -m sphinx`` process), which writes its log to
``_build/sphinx-<book>.log``; the screen gets the warnings, errors and verdict.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from d2l_book import processes
from d2l_book.console import say
from d2l_book.settings import BOOKS, BUILD, DOCS, HTML

# Sphinx, the theme and the extensions both books load: imported once here.
SPHINX_PRELOAD = (
    "myst_nb.sphinx_ext",
    "furo",
    "sphinx_design.extension",
    "sphinx_copybutton",
    "sphinx.builders.html",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
)


def _preload() -> None:
    """Import once, before forking, what each Sphinx process would import.

    Sphinx's built-in extensions (every domain, every builder: its C++ domain
    alone takes 0.3 s), the libraries the books name and the project's own
    extensions: 0.6 s of each book's process, done once.  Not
    ``sphinxext.opengraph``, which ``hosted_site`` loads in its own way.
    """
    import importlib
    import pkgutil

    from sphinx.application import builtin_extensions

    from d2l_book import sphinxext

    ours = [
        f"{sphinxext.__name__}.{module.name}"
        for module in pkgutil.iter_modules(sphinxext.__path__)
    ]
    for name in (*builtin_extensions, *SPHINX_PRELOAD, *ours):
        importlib.import_module(name)
    _warm_caches()


def _warm_caches() -> None:
    """Fill, before forking, the caches the first page each process writes fills.

    Pygments finds the ``ipython3`` lexer by scanning the installed packages'
    entry points (0.1 s), and mdformat, which writes the notebooks' Markdown,
    compiles its pattern of character references (0.05 s): once here, for both
    books' processes and for every rebuild of the live preview.
    """
    import mdformat
    from sphinx.highlighting import PygmentsBridge

    PygmentsBridge("html").highlight_block("x = 1", "ipython3")
    mdformat.text("a &amp; b\n")


def book_config(book: str) -> list[str]:
    """The configuration of one book: ``docs/conf.py`` and the book's language.

    ``conf.py`` gets the language from the source folder, but only once
    Sphinx has loaded its translations and translated what some of its
    modules translate when imported (the Python module index's title);
    given on the command line, the language is known before.
    """
    return ["-c", str(DOCS), "-D", f"language={BOOKS[book]['language']}"]


def sphinx_args(book: str) -> list[str]:
    """Sphinx's arguments for one book (the build and the live preview)."""
    return [
        "-b",
        "html",
        # Loads the theme before Sphinx compares the configuration
        # (d2l_book/sphinxext/stable_config.py).
        "-t",
        "d2l_html",
        "-W",
        "--keep-going",
        # Plain text: the log is a file, and the lines the build repeats
        # ("build succeeded", warnings) are matched at their start.
        "--no-color",
        "-d",
        str(BUILD / "doctrees" / book),
        *book_config(book),
        str(DOCS / book),
        str(HTML / book),
    ]


def _sphinx_child(book: str, log: Path) -> None:
    """In a forked child: build one book with Sphinx, then leave at once."""
    import sphinx.cmd.build

    code = 1
    try:
        processes.enter_child(signal.SIGKILL)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = sphinx.cmd.build.build_main(sphinx_args(book))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# Lines of a Sphinx log that the screen shows: warnings, errors, the verdict.
_SAID = ("WARNING:", "ERROR:", "CRITICAL:", "build succeeded", "build finished with")


def _reported(codes: dict[str, int]) -> int:
    """Say how each book's render went; the first non-zero status, else 0.

    The screen gets one line per book that built cleanly, then the warnings
    and errors of the others (the last thing on screen); Sphinx's whole log
    (configuration, progress, each image) stays in ``_build/sphinx-<book>.log``.
    """
    failed = {book: code for book, code in codes.items() if code}
    for book in sorted(codes, key=lambda book: book in failed):
        log = BUILD / f"sphinx-{book}.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        said = [line for line in lines if any(mark in line for mark in _SAID)]
        if book in failed and not any(s.startswith("build") for s in said):
            said = lines[-30:]  # Sphinx stopped early: its last words say why
        for line in said if book in failed else said[-1:]:
            say(f"{book}: {line}" if line.startswith("build") else line)
        if book in failed:
            say(f"build of the {book!r} book failed (log: {_shown(log)})", problem=True)
    return next(iter(failed.values()), 0)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(Path.cwd()).as_posix()
    return str(path)


def _render(books: tuple[str, ...]) -> int:
    """Run Sphinx for each book at once, in processes forked from this one.

    Sphinx and its extensions are imported once, here; each child builds one
    book and writes its log to ``_build/sphinx-<book>.log``, printed after.
    Where ``os.fork`` is unavailable or unsafe, :func:`_render_launched`.
    """
    from d2l_book.execution import kernels

    if not kernels.use_fork():
        return _render_launched(books)
    _preload()
    sys.stdout.flush()
    sys.stderr.flush()
    children: dict[str, int] = {}
    try:
        for book in books:
            pid = os.fork()
            if pid == 0:
                _sphinx_child(book, BUILD / f"sphinx-{book}.log")
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
            children[book] = pid
        codes = {}
        for book, pid in list(children.items()):
            codes[book] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            del children[book]
        return _reported(codes)
    finally:
        processes.stop_process_groups(list(children.values()))


def _render_launched(books: tuple[str, ...]) -> int:
    """Run ``python -m sphinx`` for each book at once (no fork: any platform)."""
    launched: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for book in books:
            with (BUILD / f"sphinx-{book}.log").open("wb") as log:
                command = [sys.executable, "-m", "sphinx", "build", *sphinx_args(book)]
                launched[book] = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT
                )
        return _reported({book: process.wait() for book, process in launched.items()})
    finally:
        running = [p for p in launched.values() if p.poll() is None]

        def send(signum: int) -> None:
            for process in running:
                if process.poll() is None:
                    process.send_signal(signum)

        processes.stop_gracefully(
            send, lambda: all(p.poll() is not None for p in running)
        )
        for process in running:
            process.wait()
