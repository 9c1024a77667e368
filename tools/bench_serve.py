"""How long ``nox -s serve`` takes to show an author's edit (see bench.py).

A live preview of the English book is started on a copy of the sources; then
one page is edited twice, and each time the clock runs from the save to the
moment the page's HTML holds the edit (the browser reloads right after):

- a prose edit: a sentence added to a paragraph (target ≤ 1.5 s);
- a code edit: a code cell added, so the whole page is executed again by the
  warm executor (target ≤ 3 s + the page's cell time, which the preview's
  log prints as ``executed <page> in <s> s``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from d2l_book.ports import free_port

PROSE_TARGET = 1.5
CODE_OVERHEAD_TARGET = 3.0
PAGE = "probability"
STARTUP_LIMIT = 600.0
EDIT_LIMIT = 120.0


def engine(
    py: str, repo: Path, env: dict[str, str], *args: str
) -> tuple[list[str], dict[str, str], Path]:
    """The command, environment and folder that run ``repo``'s copy of the engine.

    The folder matters: ``python -m`` puts the current folder ahead of
    ``PYTHONPATH``, so run from the checkout it would import the checkout's
    engine and build the checkout's pages, not the copy's (and the preview
    would watch files the bench never edits).
    """
    return [py, "-m", "d2l_book", *args], {**env, "PYTHONPATH": str(repo)}, repo


def wait_for(
    check: Callable[[], bool], server: subprocess.Popen[bytes], limit: float, what: str
) -> float:
    """Poll ``check()`` until true; the seconds it took (fails if serve ended)."""
    start = time.perf_counter()
    while not check():
        if server.poll() is not None:
            raise RuntimeError(f"{what}: the preview ended ({server.returncode})")
        if time.perf_counter() - start > limit:
            raise TimeoutError(f"{what}: nothing after {limit:.0f} s")
        time.sleep(0.02)
    return time.perf_counter() - start


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _shows(html: Path, marker: str) -> bool:
    try:
        return marker in html.read_text(encoding="utf-8")
    except OSError:
        return False


def add_sentence(page: Path, marker: str) -> None:
    """Append a sentence with ``marker`` to the page's first prose paragraph."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    body = lines.index("---\n", 1) + 1  # after the front matter
    for i in range(body, len(lines)):
        if lines[i].strip() and lines[i][0].isalpha():
            lines[i] = lines[i].rstrip("\n") + f" A note ({marker}).\n"
            break
    page.write_text("".join(lines), encoding="utf-8")


def measure_serve(py: str, repo: Path) -> dict[str, float]:
    """Prose-edit and code-edit times of a live preview of ``repo``'s en book."""
    with tempfile.TemporaryDirectory(prefix="d2l-prep-serve-") as folder:
        build = Path(folder)
        log = build / "serve.log"
        port = free_port()
        env = {**os.environ, "D2L_BUILD_DIR": str(build), "D2L_SERVE_PORT": str(port)}
        with log.open("wb") as out:
            command, env, cwd = engine(py, repo, env, "serve", "en")
            server = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            m = time_edits(repo, build, port, server)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        text = log.read_text(encoding="utf-8")
    runs = re.findall(rf"executed docs/en/{PAGE}\.md in ([\d.]+) s", text)
    return {**m, "cells": float(runs[-1]) if runs else 0.0}


def time_edits(
    repo: Path, build: Path, port: int, server: subprocess.Popen[bytes]
) -> dict[str, float]:
    """Wait for the preview, edit the page twice, time each edit to the page."""
    url = f"http://127.0.0.1:{port}/{PAGE}.html"
    wait_for(lambda: _answers(url), server, STARTUP_LIMIT, "serve's first build")
    page = repo / "docs" / "en" / f"{PAGE}.md"
    html = build / "html" / "en" / f"{PAGE}.html"
    add_sentence(page, "prose-marker")
    prose = wait_for(lambda: _shows(html, "prose-marker"), server, EDIT_LIMIT, "prose")
    time.sleep(1.0)  # let the preview settle before the next edit
    cell = "\n```{code-cell} ipython3\nprint('code' + '-marker')\n```\n"
    page.write_text(page.read_text(encoding="utf-8") + cell, encoding="utf-8")
    code = wait_for(lambda: _shows(html, "code-marker"), server, EDIT_LIMIT, "code")
    return {"prose": prose, "code": code}


def serve_rows(py: str, repo: Path) -> list[tuple[str, str, str]]:
    m = measure_serve(py, repo)
    overhead = m["code"] - m["cells"]
    return [
        (
            f"serve: prose edit of {PAGE}.md",
            f"{m['prose']:.2f} s",
            f"≤ {PROSE_TARGET} s " + ("ok" if m["prose"] <= PROSE_TARGET else "MISSED"),
        ),
        (
            f"serve: code edit of {PAGE}.md",
            f"{m['code']:.2f} s = {m['cells']:.2f} s cells + {overhead:.2f} s",
            f"≤ {CODE_OVERHEAD_TARGET} s + cells "
            + ("ok" if overhead <= CODE_OVERHEAD_TARGET else "MISSED"),
        ),
    ]
