"""Ports of 127.0.0.1 for the live preview: is one free, and one that is."""

from __future__ import annotations

import os
import socket


def port_is_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":  # as uvicorn binds: TIME_WAIT is no listener
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now, for one preview.

    The system picks it (port 0), so previews started at once (by the tests'
    workers, by the bench, by another checkout) never share a fixed port.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
