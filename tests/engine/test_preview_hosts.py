"""The live preview answers only its own address (no DNS rebinding).

The preview's Starlette app is driven as plain ASGI, without a server: a
request's ``Host`` header and a web socket's ``Origin`` decide whether the
book is served.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from d2l_book import serve, serve_app

PORT = 8123


def _call(app: Any, kind: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Send one request of ``kind`` ('http' or 'websocket'); what the app sent."""
    scope = {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": "/index.html" if kind == "http" else "/_d2l-prep/reload",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", PORT),
    }
    first = (
        {"type": "http.request", "body": b"", "more_body": False}
        if kind == "http"
        else {"type": "websocket.connect"}
    )
    end = {"type": f"{kind}.disconnect", "code": 1000}
    incoming = [first] if kind == "http" else [first, end]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        if kind == "http":  # the client waits for its response
            await asyncio.Event().wait()
        return end

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.fixture
def app(tmp_path: Path) -> Any:
    (tmp_path / "index.html").write_text("<html><head></head><body>page</body></html>")
    preview = serve.Preview(
        "en", rebuild=lambda: 0, command=[], fork=False, on_signal=None
    )
    return serve_app.make_app(preview, tmp_path, PORT)


def _status(sent: list[dict[str, Any]]) -> int:
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_the_preview_answers_its_loopback_names(app: Any, name: str) -> None:
    sent = _call(app, "http", {"host": f"{name}:{PORT}"})
    assert _status(sent) == 200
    assert b"page" in b"".join(m.get("body", b"") for m in sent)


@pytest.mark.parametrize(
    "host",
    ["evil.example:8123", "evil.example", "127.0.0.1:9999", "127.0.0.1", ""],
)
def test_a_foreign_host_gets_421(app: Any, host: str) -> None:
    sent = _call(app, "http", {"host": host} if host else {})
    assert _status(sent) == 421
    assert b"page" not in b"".join(m.get("body", b"") for m in sent)


def test_a_web_socket_from_the_preview_is_accepted(app: Any) -> None:
    headers = {"host": f"127.0.0.1:{PORT}", "origin": f"http://127.0.0.1:{PORT}"}
    sent = _call(app, "websocket", headers)
    assert sent[0]["type"] == "websocket.accept"


@pytest.mark.parametrize(
    "headers",
    [
        {"host": f"127.0.0.1:{PORT}", "origin": "http://evil.example"},
        {"host": f"127.0.0.1:{PORT}", "origin": f"http://evil.example:{PORT}"},
        {"host": f"evil.example:{PORT}", "origin": f"http://evil.example:{PORT}"},
    ],
)
def test_a_web_socket_from_another_origin_is_closed(
    app: Any, headers: dict[str, str]
) -> None:
    sent = _call(app, "websocket", headers)
    assert sent[0]["type"] == "websocket.close"
    assert all(m["type"] != "websocket.accept" for m in sent)
