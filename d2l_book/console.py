"""The engine's one voice: what a build, a preview or a tool tells its author.

Progress goes to stdout and problems (errors, warnings, a missing tool, a
limit) to stderr, each flushed at once, so that the two streams keep their
order on a terminal and the process that runs the engine (nox, the preview's
rebuild, CI, the tests) sees each line while the step runs. The engine is a
command-line program that speaks to its author in sentences; Sphinx owns the
``logging`` configuration of the processes it runs in, and its own log goes
to ``_build/sphinx-<book>.log`` (``render.py``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


def say(*parts: object, problem: bool = False, sep: str = " ") -> None:
    """Print ``parts`` like :func:`print`: to stderr if ``problem``, flushed."""
    print(*parts, sep=sep, file=sys.stderr if problem else sys.stdout, flush=True)


@contextlib.contextmanager
def problems_into(path: Path) -> Iterator[None]:
    """Meanwhile, what is said on stderr goes to the file ``path`` instead.

    File descriptor 2 is redirected, so the processes started meanwhile
    (kernels, Sphinx) write there too; the live preview shows the file.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(file, 2)
        os.close(file)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
