"""The live preview of one book (``nox -s serve``, ``build.py --serve``).

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

A change to Python code or to ``matplotlibrc`` (the engine, ``conf.py``, the
package) restarts the preview, since the serving process holds their old
versions; a Python file that does not compile is reported and waited on.
A failed rebuild is reported and the preview goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from layout import BUILD, DOCS, ROOT, STOP_GRACE

RELOAD_SCRIPT = "/_d2l-prep/reload.js"
RELOAD_SOCKET = "/_d2l-prep/reload"
RELOAD_TAG = f'<script src="{RELOAD_SCRIPT}"></script>\n'.encode()
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


def compile_errors(paths: Iterable[Path]) -> str:
    """The first error of the changed Python files that do not compile, or ""."""
    for path in paths:
        if path.suffix == ".py" and path.is_file():
            try:
                compile(path.read_bytes(), str(path), "exec")
            except (SyntaxError, ValueError) as error:
                return f"{_shown(path)}: {error}"
    return ""


def die_with_parent(signum: int) -> None:
    """Linux: get ``signum`` when the process that forked this one dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signum)  # PR_SET_PDEATHSIG


def signal_children(pids: Iterable[int], signum: int) -> None:
    """Send ``signum`` to each child's process group (the child, off POSIX)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            if hasattr(os, "killpg"):
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)


def stop_process_groups(pids: list[int]) -> None:
    """SIGTERM each forked child's group, wait up to STOP_GRACE s, SIGKILL; reap.

    The caller is the only one that reaps these children.
    """
    signal_children(pids, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for pid in pids:
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    time.sleep(0.02)
                    continue
            break
        signal_children([pid], signal.SIGKILL)  # the group's other members too
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _child(rebuild: Callable[[], int], on_signal: Any, inherited: list[int]) -> None:
    """In the forked child: its own process group and signals, one rebuild.

    It closes the server's listening sockets (``inherited``) and gets SIGTERM
    if the serving process dies, so it never outlives the preview on its port.
    """
    code = 1
    try:
        os.setpgid(0, 0)
        die_with_parent(signal.SIGTERM)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)
        code = rebuild()
    except BaseException as error:  # noqa: BLE001 (the child must reach _exit)
        print(f"rebuild stopped: {error!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def fork_rebuild(
    rebuild: Callable[[], int], on_signal: Any, inherited: list[int], started: list[int]
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
        _child(rebuild, on_signal, inherited)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    started.append(pid)
    _, status = os.waitpid(pid, 0)
    started.remove(pid)
    return os.waitstatus_to_exitcode(status)


def rebuild_failure(code: int) -> str:
    """What the preview says when a rebuild ends with exit status ``code`` (not 0).

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
    return "the rebuild failed (see above); fix it and save"


def launch_rebuild(command: list[str], started: list[int]) -> int:
    """Run a rebuild as a new process (where ``os.fork`` is not used); its status."""
    process = subprocess.Popen(command, start_new_session=os.name == "posix")
    started.append(process.pid)
    code = process.wait()
    started.remove(process.pid)
    return code


class ReloadScript:
    """ASGI middleware: every HTML page gets a ``<script src>`` for the reload.

    sphinx-autobuild's ``JavascriptInjectorMiddleware`` does the same with
    inline code, which the pages' CSP blocks, and offers no other script.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import MutableHeaders

        html = False

        async def add_script(message: Any) -> None:
            nonlocal html
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                if html and "content-length" in headers:
                    length = int(headers["content-length"]) + len(RELOAD_TAG)
                    headers["content-length"] = str(length)
            elif html and not message.get("more_body", False):
                message["body"] = message.get("body", b"") + RELOAD_TAG
            await send(message)

        await self.app(scope, receive, add_script)


# The names under which a browser on this machine reaches the preview.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class LoopbackOnly:
    """ASGI middleware: answer only requests addressed to this preview.

    A page on another site can point its own host name at 127.0.0.1 (DNS
    rebinding) and then read the preview, or open its web socket, from the
    reader's browser.  Such a request names the other site in its ``Host``
    header (421), and its web socket comes from another ``Origin`` (closed
    before it is accepted: 403).  Starlette's ``TrustedHostMiddleware`` checks
    the host name without its port and never looks at an ``Origin``, so this
    middleware does both.
    """

    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        names = [f"{name}:{port}" for name in LOOPBACK_NAMES]
        if port == 80:  # the browser leaves the default port out
            names += LOOPBACK_NAMES
        self.hosts = frozenset(names)
        self.origins = frozenset(f"http://{host}" for host in self.hosts)

    def refusal(self, scope: Any) -> str:
        """Why this request is refused, or '' to let it through."""
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope.get("headers", [])
        }
        if headers.get("host", "").lower() not in self.hosts:
            return "this preview answers only http://127.0.0.1 on its own port"
        origin = headers.get("origin")
        if (
            scope["type"] == "websocket"
            and origin
            and origin.lower() not in self.origins
        ):
            return "a web socket from another origin"
        return ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        reason = self.refusal(scope) if scope["type"] in ("http", "websocket") else ""
        if not reason:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": reason})
        else:
            from starlette.responses import PlainTextResponse

            response = PlainTextResponse(reason + "\n", status_code=421)
            await response(scope, receive, send)


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
                if code := await self.rebuild_once():
                    say(rebuild_failure(code))
            except OSError as error:  # fork or exec refused (memory, limits)
                say(f"the rebuild could not start: {error}")
            await self.reload_pages()  # failed or not, Sphinx may have written

    async def rebuild_once(self) -> int:
        """Run one rebuild in a child; on cancellation, stop it (bounded)."""
        started: list[int] = []
        loop = asyncio.get_running_loop()
        if self.fork:
            listening = [s.fileno() for x in self.server.servers for s in x.sockets]
            run = functools.partial(
                fork_rebuild, self.rebuild, self.on_signal, listening, started
            )
        else:
            run = functools.partial(launch_rebuild, self.command, started)
        future = loop.run_in_executor(None, run)
        try:
            return int(await asyncio.shield(future))
        except asyncio.CancelledError:
            await self._stop(future, started)
            raise

    async def _stop(self, future: Any, started: list[int]) -> None:
        """SIGTERM the rebuild, wait STOP_GRACE s, then SIGKILL; its thread reaps it."""
        signal_children(started, signal.SIGTERM)
        with contextlib.suppress(Exception):  # a timeout, or the rebuild's error
            await asyncio.wait_for(asyncio.shield(future), STOP_GRACE)
        if not future.done():
            signal_children(started, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await future

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


def say(message: str) -> None:
    print(message, flush=True)


def make_app(preview: Preview, html: Path, port: int) -> Any:
    """The Starlette app: the book's pages, the reload script and its socket.

    It answers only requests addressed to 127.0.0.1 (or localhost) on ``port``.
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    async def script(request: Any) -> Response:
        return Response(RELOAD_JS, media_type="text/javascript")

    html.mkdir(parents=True, exist_ok=True)  # a first build may have failed early
    return Starlette(
        routes=[
            Route(RELOAD_SCRIPT, script),
            WebSocketRoute(RELOAD_SOCKET, preview.reload_socket),
            Mount("/", app=StaticFiles(directory=html, html=True)),
        ],
        middleware=[Middleware(LoopbackOnly, port=port), Middleware(ReloadScript)],
        lifespan=preview.lifespan,
    )


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
