"""The live preview's web app: the book's pages, a reload script, its socket.

A Starlette app served by uvicorn, as in sphinx-autobuild, with two
middlewares of its own (see each class for why).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from d2l_book.serve import Preview

RELOAD_SCRIPT = "/_d2l-prep/reload.js"


RELOAD_SOCKET = "/_d2l-prep/reload"


RELOAD_TAG = f'<script src="{RELOAD_SCRIPT}"></script>\n'.encode()


# Reload on "reload"; after the preview restarts, reconnect and reload. A JSON
# message is the state of the last build: when it failed, a banner names the
# first error and where it is, until the page is rebuilt and reloads. The
# banner is built with DOM calls and styled through CSSOM (both allowed by the
# pages' CSP, which forbids inline scripts and style attributes in markup).
RELOAD_JS = f"""// Live preview (nox -s serve): reload when the book is rebuilt.
(() => {{
  let seen = false;
  const show = (state) => {{
    document.getElementById("d2l-preview-error")?.remove();
    if (!state.failed) return;
    const banner = document.createElement("div");
    banner.id = "d2l-preview-error";
    banner.setAttribute("role", "alert");
    Object.assign(banner.style, {{
      position: "fixed", top: "0", left: "0", right: "0", zIndex: "10000",
      padding: "0.6em 1em", background: "#8b0000", color: "#fff",
      font: "14px/1.4 monospace", whiteSpace: "pre-wrap",
    }});
    const title = document.createElement("strong");
    title.textContent = "The build failed" + (state.where ? ` at ${{state.where}}` : "") + ": ";
    banner.append(title, document.createTextNode(state.message));
    document.body.prepend(banner);
  }};
  const connect = () => {{
    const socket = new WebSocket(`ws://${{location.host}}{RELOAD_SOCKET}`);
    socket.onopen = () => {{ if (seen) location.reload(); seen = true; }};
    socket.onmessage = (event) => {{
      if (event.data === "reload") location.reload();
      else show(JSON.parse(event.data));
    }};
    socket.onclose = () => setTimeout(connect, 500);
  }};
  connect();
}})();
"""

# A page's location in a rebuild's error output: docs/<book>/<page>.md[:line].
_LOCATION = re.compile(r"(?:\S*/)?(?P<where>docs/[^\s:]+\.md(?::\d+)?)")
# An error line of its own: Sphinx's "WARNING: ..." (strict) or "ERROR: ...",
# or the last line of a Python traceback ("ValueError: broken").
_ERROR = re.compile(
    r"(?P<line>(?:WARNING|ERROR|CRITICAL): .*|[A-Za-z_][\w.]*(?:Error|Exception|Interrupt)\b.*)"
)
# The engine's own order: "ERROR: docs/en/page.md:12: what is wrong".
_LEVEL = re.compile(r"(?:WARNING|ERROR|CRITICAL): ")


def first_error(output: str, fallback: str) -> dict[str, str]:
    """The banner's content for a failed rebuild, from its error output.

    ``where`` is the first ``docs/…/page.md[:line]`` named, ``message`` the
    first error line (``fallback`` when there is none).
    """
    where = message = ""
    for line in (line.strip() for line in output.splitlines()):
        located = _LOCATION.search(line)
        if located and not where:
            where = located["where"]
            level, line = line[: located.start()], line[located.end() :]
            if _LEVEL.fullmatch(level) and not message:
                message = level + line.removeprefix(":").strip()
        error = _ERROR.search(line)
        if error and not message:
            message = error["line"]
        if where and message:
            break
    return {"where": where, "message": message or fallback}


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
