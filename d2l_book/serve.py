"""The live preview of one book (``nox -s serve``, ``python -m d2l_book serve``).

sphinx-autobuild runs each rebuild as new processes (the pre-build step, then
``python -m sphinx``), each of which imports Sphinx, MyST-NB, Matplotlib and
the engine again: on this machine a one-sentence edit took 2.5 s to reach the
page and a code edit 5.2 s more than its cells.  Its command line has no way
to keep a warm process, and its reload script is inline code, which the
pages' Content-Security-Policy does not run (its pages never reloaded).  So
this module serves the book itself, from the parts sphinx-autobuild is made
of (watchfiles, a Starlette app under uvicorn): the serving process imports
Sphinx and the kernels' libraries once, and each rebuild is a child forked
from it, which executes what the cache lacks with warm kernels and renders
the book in-process (where ``os.fork`` is not used, a new process).  Every
open page then reloads through a web socket, by a script file.
Measured again against sphinx-autobuild: ``d2l_book/README.md``.

A change to Python code or to ``matplotlibrc`` (the engine, ``conf.py``, the
package) restarts the preview, since the serving process holds their old
versions; a Python file that does not compile is reported and waited on.
A failed build, the first or a rebuild, is reported and the preview goes on;
the open pages show a banner with its first error and the page's ``.md``
location until a rebuild succeeds (its error output is kept for that, then printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from d2l_book import processes
from d2l_book.build import (
    _LOCKS,
    _first_build,
    build_lock,
    execute_for_preview,
    raise_interrupted,
    run_stoppable,
)
from d2l_book.console import say
from d2l_book.ports import port_is_free
from d2l_book.render import sphinx_args
from d2l_book.serve_app import first_error, make_app
from d2l_book.settings import BOOKS, BUILD, DOCS, ROOT, serve_port
from d2l_book.sphinxext import chinese_words

# How the engine starts itself again (a rebuild, a restart): ``python -m d2l_book``
# from the same folder, with the same environment, so it finds the same package.
ENGINE = [sys.executable, "-m", "d2l_book"]


def watched(book: str) -> list[Path]:
    """What the preview of ``book`` watches."""
    paths = [DOCS / book, DOCS / "_static", DOCS / "_templates", DOCS / "locales"]
    paths += [DOCS / "conf.py", DOCS / "matplotlibrc", ROOT / "src" / "d2l_prep"]
    paths += [ROOT / "d2l_book"]
    return [path for path in paths if path.exists()]


def wanted(path: Path) -> bool:
    """False for build output, caches and editors' temporary files."""
    if BUILD in path.parents or "__pycache__" in path.parts:
        return False
    return not path.name.startswith((".", "#")) and not path.name.endswith("~")


def needs_restart(paths: Iterable[Path]) -> bool:
    """True if a change is one the serving process holds in memory."""
    package = ROOT / "src"
    return any(
        p.suffix == ".py" or p.name == "matplotlibrc" or package in p.parents
        for p in paths
    )


def compile_errors(paths: Iterable[Path]) -> str:
    """The first error of the changed Python files that do not compile, or ""."""
    for path in paths:
        if path.suffix == ".py" and path.is_file():
            try:
                compile(path.read_bytes(), str(path), "exec")
            except (SyntaxError, ValueError) as error:
                return f"{_shown(path)}: {error}"
    return ""


def _child(
    rebuild: Callable[[], int], on_signal: Any, inherited: list[int], errors: Path
) -> None:
    """In the forked child: its own process group and signals, one rebuild.

    It closes the server's listening sockets (``inherited``) and gets SIGTERM
    if the serving process dies, so it never outlives the preview on its port.
    Its error output goes to ``errors`` (the preview shows it, see ``Preview``).
    """
    code = 1
    try:
        processes.enter_child(signal.SIGTERM, on_signal)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        fd = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
        code = rebuild()
    except BaseException as error:  # noqa: BLE001 (the child must reach _exit)
        say(f"rebuild stopped: {error!r}", problem=True)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def fork_rebuild(
    rebuild: Callable[[], int],
    on_signal: Any,
    inherited: list[int],
    started: list[int],
    errors: Path,
) -> int:
    """Run ``rebuild`` in a child forked from this thread; its exit status.

    Called in a worker thread: the child starts as a copy of a thread that
    runs no event loop, so it can run its own (the executor's).  This thread
    is the only one that reaps the child.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(rebuild, on_signal, inherited, errors)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    started.append(pid)
    _, status = os.waitpid(pid, 0)
    started.remove(pid)
    return os.waitstatus_to_exitcode(status)


def rebuild_failure(code: int) -> str:
    """What the preview says when a build ends with exit status ``code`` (not 0).

    A negative status is a signal (``os.waitstatus_to_exitcode``, Popen): the
    rebuild did not fail, it was killed (e.g. SIGKILL by the kernel's
    out-of-memory killer or by hand), and printed nothing that says so.
    """
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return (
            f"the rebuild was killed by signal {name}: save again to rebuild "
            "(the next rebuild removes its kernels' temporary folders)"
        )
    return "the build failed (see above): fix it and save, the preview rebuilds"


def launch_rebuild(command: list[str], started: list[int], errors: Path) -> int:
    """Run a rebuild as a new process (where ``os.fork`` is not used); its status.

    Its error output goes to ``errors``, as a forked rebuild's does.
    """
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            command, stderr=stderr, start_new_session=os.name == "posix"
        )
        started.append(process.pid)
        code = process.wait()
    started.remove(process.pid)
    return code


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(ROOT).as_posix()
    return str(path)


class Preview:
    """Watches the sources, rebuilds in a warm child, tells the pages to reload.

    ``rebuild`` runs in a child forked from this process; where ``fork`` is
    false (``os.fork`` unavailable or unsafe), ``command`` runs instead, in a
    new process: slower (it imports everything again), but on any platform.
    """

    def __init__(
        self,
        book: str,
        rebuild: Callable[[], int],
        command: list[str],
        fork: bool,
        on_signal: Any,
    ) -> None:
        self.book = book
        self.rebuild = rebuild
        self.command = command
        self.fork = fork
        self.on_signal = on_signal
        self.sockets: set[Any] = set()
        self.restart = False
        self.server: Any = None
        # The last rebuild's error output, and the banner's state it gives.
        self.errors = BUILD / f"serve-{book}.stderr"
        self.state: dict[str, Any] = {"failed": False}

    async def watch(self, stop: asyncio.Event) -> None:
        import watchfiles

        async for changes in watchfiles.awatch(
            *watched(self.book),
            watch_filter=lambda _, path: wanted(Path(path)),
            stop_event=stop,
        ):
            changed = sorted({Path(path) for _, path in changes})
            names = ", ".join(_shown(path) for path in changed[:3])
            if needs_restart(changed):
                if error := compile_errors(changed):
                    say(
                        f"changed: {names}: it does not compile, waiting for a fix\n{error}"
                    )
                    continue
                say(f"changed: {names}: restarting the preview")
                self.restart = True
                self.server.should_exit = True
                return
            say(f"changed: {names}: rebuilding")
            try:
                self.record(await self.rebuild_once())
            except OSError as error:  # fork or exec refused (memory, limits)
                say(f"the rebuild could not start: {error}")
                self.state = {"failed": True, "where": "", "message": str(error)}
            await self.reload_pages()  # failed or not, Sphinx may have written

    def record(self, code: int) -> None:
        """Show a build's error output and keep its state for the pages."""
        output = ""
        with contextlib.suppress(OSError):
            output = self.errors.read_text(encoding="utf-8", errors="replace")
        sys.stderr.write(output)
        sys.stderr.flush()
        if code:
            say(rebuild_failure(code))
            self.state = {"failed": True, **first_error(output, rebuild_failure(code))}
        else:
            self.state = {"failed": False}

    async def rebuild_once(self) -> int:
        """Run one rebuild in a child; on cancellation, stop it (bounded)."""
        started: list[int] = []
        loop = asyncio.get_running_loop()
        if self.fork:
            listening = [s.fileno() for x in self.server.servers for s in x.sockets]
            run = functools.partial(
                fork_rebuild,
                self.rebuild,
                self.on_signal,
                listening,
                started,
                self.errors,
            )
        else:
            run = functools.partial(launch_rebuild, self.command, started, self.errors)
        future = loop.run_in_executor(None, run)
        try:
            return int(await asyncio.shield(future))
        except asyncio.CancelledError:
            await self._stop(future, started)
            raise

    async def _stop(self, future: Any, started: list[int]) -> None:
        """SIGTERM the rebuild, wait STOP_GRACE s, then SIGKILL; its thread reaps it."""
        await processes.stop_gracefully_async(
            lambda signum: processes.signal_children(started, signum), future.done
        )
        with contextlib.suppress(Exception):  # the rebuild's error, if any
            await future

    async def reload_pages(self) -> None:
        for page in list(self.sockets):
            with contextlib.suppress(Exception):  # a page closed meanwhile
                await page.send_text("reload")

    async def reload_socket(self, socket: Any) -> None:
        from starlette.websockets import WebSocketDisconnect

        await socket.accept()
        self.sockets.add(socket)
        try:
            if self.state["failed"]:  # the page shows why it is not up to date
                await socket.send_text(json.dumps(self.state))
            async for _ in socket.iter_text():
                pass
        except WebSocketDisconnect:
            pass
        finally:
            self.sockets.discard(socket)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(self.watch(stop))
        try:
            yield
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def serve(preview: Preview, port: int) -> bool:
    """Serve ``preview``'s book on 127.0.0.1:port until a signal; True to restart."""
    import uvicorn

    book = preview.book
    config = uvicorn.Config(
        make_app(preview, BUILD / "html" / book, port),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    preview.server = uvicorn.Server(config)
    say(f"serving the {book!r} book on http://127.0.0.1:{port}/")
    preview.server.run()
    return preview.restart


def _rebuild(book: str) -> int:
    """One rebuild of the live preview, in a child of the serving process.

    It holds the build lock throughout, so a build started meanwhile waits;
    Sphinx gets the default signal actions (it would report our exception).
    """
    import sphinx.cmd.build

    _LOCKS.clear()  # the serving process's lock object: filelock wants a new one
    with build_lock():
        if not execute_for_preview(book):
            return 1
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        return sphinx.cmd.build.build_main(sphinx_args(book))


def serve_book(book: str, port: int) -> int:
    """Live preview of one book: each edit is executed warm, then rendered.

    The serving process imports Sphinx and the kernels' libraries once; each
    rebuild is forked from it (see :class:`Preview`).  A change to Python code
    restarts it, as a new process in this one's place.
    """
    from d2l_book.execution import kernels

    if not port_is_free(port):
        say(
            f"port {port} on 127.0.0.1 is busy (another serve?); choose another"
            f" with D2L_SERVE_PORT, e.g. D2L_SERVE_PORT={port + 1} nox -s serve",
            problem=True,
        )
        return 1
    fork = kernels.use_fork()
    command = [*ENGINE, "serve", "--rebuild", book]
    live = Preview(book, lambda: _rebuild(book), command, fork, raise_interrupted)
    live.record(_first_build(book, live.errors))  # a failure shows in the pages
    if fork:
        kernels.preload()
        if chinese_words.cuts_words(BOOKS[book]["language"]):
            chinese_words.load_dictionary(BUILD)
    if not serve(live, port):
        return 0
    sys.stdout.flush()
    again = [*ENGINE, "serve", book]
    if os.name != "posix":  # Windows' execv starts a new process and returns
        return subprocess.call(again)
    os.execv(sys.executable, again)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``serve``'s options: the book (default en)."""
    parser.add_argument("book", nargs="?", choices=BOOKS, default="en")
    # One rebuild of the live preview, where it cannot fork (Preview).
    parser.add_argument("--rebuild", action="store_true", help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    """``python -m d2l_book serve [BOOK]``: the live preview of one book."""
    if args.rebuild:
        return run_stoppable(lambda: _rebuild(args.book))
    return run_stoppable(lambda: serve_book(args.book, serve_port()))
