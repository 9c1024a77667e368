"""The live preview (``nox -s serve``) on the small throw-away book.

An edit saved while the page is open in Chromium must reach that page by
itself (the reload script is a file, allowed by the page's CSP); a change to
the package restarts the preview; SIGTERM ends it and everything it started.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from d2l_book.ports import free_port
from d2l_book.serve_app import RELOAD_SOCKET
from tests.engine.engine_book import SmallBook, built_book, page
from tests.site.test_browser import CHROMIUM, CHROMIUM_ARGS, _browser_or_skip

pytestmark = pytest.mark.browser

# Generous: the machine may be busy; the bench measures the real times.
WAIT_MS = 90_000


class Preview:
    """``python -m d2l_book serve en`` on a small book, its output in a log file."""

    def __init__(self, book: SmallBook, executor: str = "") -> None:
        self.book = book
        self.log = book.root / "serve.log"
        self.port = free_port()
        with self.log.open("w", encoding="utf-8") as out:
            self.process = subprocess.Popen(
                book.command("serve", "en"),
                env=book.env(D2L_SERVE_PORT=str(self.port), D2L_EXECUTOR=executor),
                cwd=book.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.wait_until(self.answers, "the preview to answer")

    def answers(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_until(self, check: Any, what: str) -> None:
        deadline = time.monotonic() + WAIT_MS / 1000
        while not check():
            assert self.process.poll() is None, self.output()[-3000:]
            assert time.monotonic() < deadline, f"waited for {what}\n{self.output()}"
            time.sleep(0.1)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def preview(request: pytest.FixtureRequest) -> Iterator[Preview]:
    """A running preview of the built small book (its pages cached: the first
    build renders, no kernel starts); ``executor`` (indirect) may force
    D2L_EXECUTOR."""
    running = Preview(built_book(), getattr(request, "param", ""))
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def alpha_tab(preview: Preview, blocked: list[str]) -> Iterator[Any]:
    """Chromium on the preview's alpha page; console errors go to ``blocked``."""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        tab = chromium.new_page()
        tab.on(
            "console", lambda m: blocked.append(m.text) if m.type == "error" else None
        )
        tab.goto(f"http://127.0.0.1:{preview.port}/alpha.html")
        yield tab
        chromium.close()


# "launch": where os.fork is not used, each rebuild is a new process.
@pytest.mark.parametrize("preview", ["fork", "launch"], indirect=True)
def test_a_saved_edit_reloads_the_open_page(preview: Preview) -> None:
    from playwright.sync_api import expect

    alpha = page("Alpha", "print('alpha', 1 + 1)")
    blocked: list[str] = []
    with alpha_tab(preview, blocked) as tab:
        body = tab.locator("body")
        expect(body).to_contain_text("alpha 2")
        time.sleep(0.5)  # the page's reload socket connects
        preview.book.write("alpha.md", alpha.replace("Some prose.", "Zyzzyva prose."))
        expect(body).to_contain_text("Zyzzyva", timeout=WAIT_MS)
        preview.book.write("alpha.md", page("Alpha", "print('alpha', 40 + 2)"))
        expect(body).to_contain_text("alpha 42", timeout=WAIT_MS)
    assert blocked == []
    assert preview.stop() == 143
    assert preview.book.leftover_processes() == []


@pytest.mark.parametrize("preview", ["fork", "launch"], indirect=True)
def test_a_failed_rebuild_shows_a_banner_until_the_page_builds(
    preview: Preview,
) -> None:
    from playwright.sync_api import expect

    alpha = page("Alpha", "print('alpha', 1 + 1)")
    blocked: list[str] = []
    with alpha_tab(preview, blocked) as tab:
        banner = tab.locator("#d2l-preview-error")
        expect(tab.locator("body")).to_contain_text("alpha 2")
        time.sleep(0.5)  # the page's reload socket connects
        # A reference to no label: Sphinx's strict build fails on the page.
        broken = alpha.replace("Some prose.", "See {ref}`no-such-label`.")
        preview.book.write("alpha.md", broken)
        expect(banner).to_be_visible(timeout=WAIT_MS)
        expect(banner).to_have_attribute("role", "alert")
        lines = broken.splitlines()
        line = next(n for n, text in enumerate(lines, 1) if "no-such-label" in text)
        expect(banner).to_contain_text(f"docs/en/alpha.md:{line}")
        expect(banner).to_contain_text("WARNING: undefined label: 'no-such-label'")
        preview.book.write("alpha.md", alpha.replace("Some prose.", "Fixed prose."))
        expect(tab.locator("body")).to_contain_text("Fixed prose.", timeout=WAIT_MS)
        expect(banner).to_have_count(0)
    assert blocked == [], "the banner's script and style pass the page's CSP"
    assert "undefined label" in preview.output(), "the error is printed too"


def test_a_change_to_the_package_restarts_the_preview(preview: Preview) -> None:
    package = preview.book.root / "src" / "d2l_prep" / "__init__.py"
    package.write_text(package.read_text("utf-8") + "\n# edited\n", "utf-8")
    preview.wait_until(
        lambda: "restarting the preview" in preview.output(), "the restart"
    )
    preview.wait_until(
        lambda: preview.output().count("serving the 'en' book") == 2, "the new preview"
    )
    preview.wait_until(preview.answers, "the new preview to answer")
    assert preview.stop() == 143
    assert preview.book.leftover_processes() == []


def test_stopping_the_preview_mid_rebuild_stops_the_rebuild(preview: Preview) -> None:
    """SIGTERM while a page executes: exit 143 at once, no kernel left, no crash."""
    slow = "import time\nprint('slow start', flush=True)\ntime.sleep(120)"
    preview.book.write("beta.md", page("Beta", slow))
    preview.wait_until(lambda: "executing 1 notebook" in preview.output(), "rebuild")
    time.sleep(1.0)  # the kernel is in the cell
    start = time.monotonic()
    assert preview.stop() == 143
    assert time.monotonic() - start < 30
    log = preview.output()
    assert "Traceback" not in log and "shutdown failed" not in log, log[-3000:]
    assert preview.book.leftover_processes() == []


# A page whose code fails, and one the build cannot read.
BROKEN_PAGES = {
    "failing cell": (
        page("Beta", "raise ValueError('not yet')"),
        "ValueError: not yet",
    ),
    "unreadable": (
        page("Beta", "x = 1") + "\n:::{note}\nA note.\n",
        "ERROR: docs/en/beta.md:16: this ::: block is never closed",
    ),
}


def banner_state(preview: Preview) -> Any:
    """What the preview tells a page that opens its reload socket: the state
    of the last build when it failed (its banner), else nothing."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{preview.port}{RELOAD_SOCKET}") as socket:
        return json.loads(socket.recv(timeout=30))


@pytest.mark.parametrize("broken", BROKEN_PAGES)
def test_a_failing_page_does_not_end_the_preview(tmp_path: Path, broken: str) -> None:
    """The first build fails; the preview serves on, and a fix is rebuilt."""
    book = SmallBook(tmp_path)
    text, said = BROKEN_PAGES[broken]
    book.write("beta.md", text)
    running = Preview(book)
    try:
        assert said in running.output()
        # An open page shows the first build's error, as it shows a rebuild's.
        state = banner_state(running)
        assert state["failed"] and state["where"].startswith("docs/en/beta.md"), state
        if broken == "unreadable":  # a rebuild says it the same way
            book.write("beta.md", text.replace(":::{note}", "\n:::{note}"))
            running.wait_until(
                lambda: said.replace(":16:", ":17:") in running.output(), "the rebuild"
            )
        book.write("beta.md", page("Beta", "x = 21", "print('beta', 2 * x)"))
        html = book.build_dir / "html" / "en" / "beta.html"
        running.wait_until(
            lambda: html.is_file() and "beta 42" in html.read_text("utf-8"), "the fix"
        )
    finally:
        assert running.stop() == 143


def test_python_that_does_not_compile_is_waited_on(preview: Preview) -> None:
    package = preview.book.root / "src" / "d2l_prep" / "__init__.py"
    good = package.read_text("utf-8")
    package.write_text(good + "\ndef broken(:\n", "utf-8")
    preview.wait_until(lambda: "does not compile" in preview.output(), "the report")
    assert preview.answers() and "restarting" not in preview.output()
    package.write_text(good, "utf-8")
    preview.wait_until(lambda: "restarting the preview" in preview.output(), "restart")
