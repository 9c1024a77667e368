"""A small throw-away book (two short pages per language) for the engine's tests.

Fault tests build this book, not the real one, so that each takes seconds.
Every build gets its own build folder, Jupyter runtime folder and temporary
folder (to find the connection files and sockets it leaves) and a marker in its environment, inherited by
every kernel and subprocess, to find the processes it leaves behind without
looking at other builds on the machine.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psutil

from d2l_book import package_wheel
from d2l_book.sphinxext import chinese_words
from tests.book import BOOKS, DOCS, ROOT

MARKER = "D2L_ENGINE_TEST_MARKER"

HEADER = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---
"""

INDEX = """# A small book

```{toctree}
alpha
beta
```
"""


def page(title: str, *cells: str) -> str:
    """A page with a heading, a sentence and the given code cells."""
    body = [HEADER, f"# {title}\n", "Some prose. A formula, $x^2$.\n"]
    body += [f"```{{code-cell}} ipython3\n{cell}\n```\n" for cell in cells]
    return "\n".join(body)


@functools.cache
def _session_wheel() -> Path:
    """The package's wheel, built once per test session (pip takes seconds)."""
    folder = Path(tempfile.mkdtemp(prefix="d2l-test-wheel-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return package_wheel.build_wheel(folder)


def _seed_wheel(build_dir: Path) -> None:
    """Put the session's wheel where a build of the same sources looks first.

    The engine keeps its wheel under the hash of the package's sources
    (``package_wheel.build_wheel``), so a small book whose copy of them is
    unchanged reuses it instead of running pip; a book that edits the package
    gets another hash and builds its own wheel, as a real build would.
    """
    wheel = _session_wheel()
    target = build_dir / "wheels" / wheel.parent.name / wheel.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheel, target)


@functools.cache
def _session_dictionary() -> Path:
    """jieba's dictionary, pickled once per test process as a build pickles it."""
    import jieba

    folder = Path(tempfile.mkdtemp(prefix="d2l-test-jieba-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    chinese_words.prepare_jieba(folder)
    jieba.dt.initialize()
    return folder / chinese_words.PICKLE


def _seed_dictionary(build_dir: Path) -> None:
    """Put the pickled dictionary where the build of a zh page looks for it.

    Made anew, it takes a build 1.2 s (jieba reads its dictionary's text); the
    pickle is keyed by jieba's version and dictionary, which a test's build
    shares with this process (``d2l_book/sphinxext/chinese_words.py``).
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_session_dictionary(), build_dir / chinese_words.PICKLE)


class SmallBook:
    """docs/, the engine, src/ and the project files copied into ``root``, with
    its own pages."""

    def __init__(self, root: Path, *, fresh: bool = True) -> None:
        """``fresh``: copy the sources into ``root``; otherwise ``root`` holds
        a copy already (see :func:`built_book`)."""
        self.root = root
        self.docs = root / "docs"
        self.build_dir = root / "build"
        self.runtime = root / "runtime"
        self.tmp = root / "tmp"
        self.engine = root / "d2l_book"
        self.marker = uuid.uuid4().hex
        if fresh:
            self._copy_sources()

    def _copy_sources(self) -> None:
        root = self.root
        self.tmp.mkdir()
        shutil.copytree(
            DOCS, self.docs, ignore=shutil.ignore_patterns("_build*", "*.md")
        )
        for name in ("d2l_book", "src"):
            shutil.copytree(
                ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        # What the package's wheel is built from (d2l_book/package_wheel.py).
        for name in ("pyproject.toml", "README.md"):
            shutil.copyfile(ROOT / name, root / name)
        _seed_wheel(self.build_dir)
        _seed_dictionary(self.build_dir)
        self.write("index.md", INDEX)
        self.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)"))
        self.write("beta.md", page("Beta", "x = 21", "print('beta', 2 * x)"))

    def write(self, name: str, text: str, books: tuple[str, ...] = BOOKS) -> None:
        for book in books:
            (self.docs / book / name).write_text(text, encoding="utf-8")

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "D2L_BUILD_DIR": str(self.build_dir),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
            "TMPDIR": str(self.tmp),
            MARKER: self.marker,
            **extra,
        }

    def command(self, *args: str) -> list[str]:
        """This copy's engine (run in ``root``): ``build ARGS``, or ``serve ...``."""
        if args[:1] not in (("serve",), ("pdf",), ("save",)):
            args = ("build", *args)
        return [sys.executable, "-m", "d2l_book", *args]

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            env=self.env(**env),
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def build(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        # The timeout only keeps a hanging build from hanging the test run.
        try:
            return subprocess.run(
                self.command(*args),
                env=self.env(**env),
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=600,
            )
        except subprocess.TimeoutExpired as hang:
            raise AssertionError(f"the build hung:\n{hang.stderr!r}") from None

    def leftover_processes(self) -> list[str]:
        """Processes still running that carry this book's marker."""
        found = []
        for process in psutil.process_iter(["pid", "cmdline"]):
            try:
                if process.environ().get(MARKER) == self.marker:
                    found.append(f"{process.pid}: {process.info['cmdline']}")
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        return found

    def leftover_files(self) -> list[str]:
        """Connection files, sockets and folders left in the runtime and temp folders."""
        return sorted(
            str(p)
            for folder in (self.runtime, self.tmp)
            if folder.exists()
            for p in folder.iterdir()
        )

    def html(self, book: str, name: str) -> str:
        return (self.build_dir / "html" / book / f"{name}.html").read_text("utf-8")


@functools.cache
def _built_once() -> tuple[Path, Path, str]:
    """The small book built once per test process (a cold build, under
    FORCE_COLOR, which must colour nothing): where it was built, a copy of its
    tree as the build left it, and the build's output."""
    folder = Path(tempfile.mkdtemp(prefix="d2l-test-built-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "book").mkdir()
    book = SmallBook(folder / "book")
    result = book.build(FORCE_COLOR="1")
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise AssertionError(f"the cold build of the small book failed:\n{log[-3000:]}")
    shutil.copytree(book.root, folder / "built", symlinks=True)
    return book.root, folder / "built", log


def built_book() -> SmallBook:
    """The small book as its cold build left it, without building it again.

    Copying a built tree costs a fraction of a build.  The build folder holds
    absolute paths (Sphinx's environment, the cache's records), so the copy
    goes back where the book was built: the tests of one process run one at a
    time, and each gets the tree afresh (mtimes kept) and its own marker.
    """
    root, built, _ = _built_once()
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(built, root, symlinks=True)
    return SmallBook(root, fresh=False)


def cold_build_log() -> str:
    """What the cold build of :func:`built_book` said (stdout and stderr)."""
    return _built_once()[2]
