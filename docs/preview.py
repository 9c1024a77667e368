"""The live preview of one book (``nox -s serve``, ``build.py --serve``).

sphinx-autobuild runs each rebuild as new processes (the pre-build step, then
``python -m sphinx``), each of which imports Sphinx, MyST-NB, Matplotlib and
the engine again: on this machine a one-sentence edit took 2.5 s to reach the
page and a code edit 5.2 s more than its cells.  Its command line has no way
to keep a warm process, so this module serves the book itself, with the same
parts sphinx-autobuild is made of (watchfiles, a Starlette app under uvicorn,
sphinx-autobuild's script injector): the serving process imports Sphinx and
the kernels' libraries once, and each rebuild is a child forked from it,
which executes what the cache lacks with warm kernels and renders the book
in-process (where ``os.fork`` is not used, a new process, as before).  Every
page then reloads through a web socket.

The reload script is a file, not inline code: the pages' Content-Security-
Policy lets no unlisted inline script run (sphinx-autobuild's inline one was
blocked, so its pages never reloaded).  A change to Python code or to
``matplotlibrc`` (the engine, ``conf.py``, the package) restarts the preview,
since the serving process holds their old versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from layout import BUILD, DOCS, ROOT

RELOAD_SCRIPT = "/_d2l-prep/reload.js"
RELOAD_SOCKET = "/_d2l-prep/reload"
# Reload on a message; after the preview restarts, reconnect and reload.
RELOAD_JS = f"""// Live preview (nox -s serve): reload when the book is rebuilt.
(() => {{
  let seen = false;
  const connect = () => {{
    const socket = new WebSocket(`ws://${{location.host}}{RELOAD_SOCKET}`);
    socket.onopen = () => {{ if (seen) location.reload(); seen = true; }};
    socket.onmessage = () => location.reload();
    socket.onclose = () => setTimeout(connect, 500);
  }};
  connect();
}})();
"""


def watched(book: str) -> list[Path]:
    """What the preview of ``book`` watches."""
    paths = [DOCS / book, DOCS / "_ext", DOCS / "_static", DOCS / "_templates"]
    paths += [DOCS / "conf.py", DOCS / "matplotlibrc", ROOT / "src" / "d2l_prep"]
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


def stop_process_groups(pids: list[int], grace: float) -> None:
    """SIGTERM each child's process group, wait up to ``grace`` s, then SIGKILL.

    Every child is reaped; one that already exited is only reaped.
    """
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for pid in pids:
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                break
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _child(rebuild: Callable[[], int], on_signal: Callable[[int, Any], None]) -> None:
    """In the forked child: its own process group and signals, one rebuild."""
    code = 1
    try:
        os.setpgid(0, 0)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)
        code = rebuild()
    except BaseException as error:  # noqa: BLE001 (the child must reach _exit)
        print(f"rebuild stopped: {error!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def fork_rebuild(rebuild: Callable[[], int], on_signal: Any, started: list[int]) -> int:
    """Run ``rebuild`` in a child forked from this thread; its exit status.

    Called in a worker thread: the child starts as a copy of a thread that
    runs no event loop, so it can run its own (the executor's).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(rebuild, on_signal)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    started.append(pid)
    _, status = os.waitpid(pid, 0)
    started.remove(pid)
    return os.waitstatus_to_exitcode(status)


def launch_rebuild(command: list[str], started: list[int]) -> int:
    """Run a rebuild as a new process (where ``os.fork`` is not used); its status."""
    process = subprocess.Popen(command, start_new_session=os.name == "posix")
    started.append(process.pid)
    code = process.wait()
    started.remove(process.pid)
    return code


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
        grace: float,
    ) -> None:
        self.book = book
        self.rebuild = rebuild
        self.command = command
        self.fork = fork
        self.on_signal = on_signal
        self.grace = grace  # seconds a stopped rebuild gets before SIGKILL
        self.sockets: set[Any] = set()
        self.restart = False
        self.server: Any = None

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
                print(f"changed: {names}: restarting the preview", flush=True)
                self.restart = True
                self.server.should_exit = True
                return
            print(f"changed: {names}: rebuilding", flush=True)
            if await self.rebuild_once() == 0:
                await self.reload_pages()

    async def rebuild_once(self) -> int:
        started: list[int] = []
        loop = asyncio.get_running_loop()
        try:
            if not self.fork:
                return await loop.run_in_executor(
                    None, launch_rebuild, self.command, started
                )
            return await loop.run_in_executor(
                None, fork_rebuild, self.rebuild, self.on_signal, started
            )
        except asyncio.CancelledError:
            stop_process_groups(list(started), self.grace)
            raise

    async def reload_pages(self) -> None:
        for socket in list(self.sockets):
            with contextlib.suppress(Exception):  # a page closed meanwhile
                await socket.send_text("reload")

    async def reload_socket(self, socket: Any) -> None:
        from starlette.websockets import WebSocketDisconnect

        await socket.accept()
        self.sockets.add(socket)
        try:
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


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(ROOT).as_posix()
    return str(path)


def make_app(preview: Preview, html: Path) -> Any:
    """The Starlette app: the book's pages, the reload script and its socket."""
    from sphinx_autobuild.middleware import (  # type: ignore[import-untyped]
        JavascriptInjectorMiddleware,
    )
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    class ReloadScript(JavascriptInjectorMiddleware):  # type: ignore[misc]
        """sphinx-autobuild's injector, adding a script file, not inline code."""

        def __init__(self, app: Any) -> None:
            super().__init__(app, ws_url="")
            self.script = f'<script src="{RELOAD_SCRIPT}"></script>\n'.encode()

    async def script(request: Any) -> Response:
        return Response(RELOAD_JS, media_type="text/javascript")

    return Starlette(
        routes=[
            Route(RELOAD_SCRIPT, script),
            WebSocketRoute(RELOAD_SOCKET, preview.reload_socket),
            Mount("/", app=StaticFiles(directory=html, html=True)),
        ],
        middleware=[Middleware(ReloadScript)],
        lifespan=preview.lifespan,
    )


def serve(preview: Preview, port: int) -> bool:
    """Serve ``preview``'s book on 127.0.0.1:port until a signal; True to restart."""
    import uvicorn

    book = preview.book
    html = BUILD / "html" / book
    config = uvicorn.Config(
        make_app(preview, html), host="127.0.0.1", port=port, log_level="warning"
    )
    preview.server = uvicorn.Server(config)
    print(f"serving the {book!r} book on http://127.0.0.1:{port}/", flush=True)
    preview.server.run()
    return preview.restart
