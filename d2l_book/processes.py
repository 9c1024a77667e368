"""The engine's child processes: how a forked child starts, how any child stops.

One preamble for every child forked by the engine (a Sphinx render, a preview
rebuild): its own process group, a signal when its parent dies, its own
signal handlers.  One graceful stop for every child, forked or launched,
waited on in a thread or an event loop: SIGTERM, a wait of at most
``STOP_GRACE`` seconds (``settings.py``), then SIGKILL.  And, around the
execution step, the orphans a cell's processes leave are adopted and stopped
(:func:`stopping_orphans`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from d2l_book.settings import STOP_GRACE

_POLL = 0.02  # seconds between two looks at a stopping child


class Interrupted(Exception):
    """The build got SIGINT or SIGTERM; every kernel has been stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def die_with_parent(signum: int) -> None:
    """Linux: get ``signum`` when the process that forked this one dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signum)  # PR_SET_PDEATHSIG


def enter_child(
    parent_death: int | None, handler: Any = signal.SIG_DFL, interrupt: Any = None
) -> None:
    """In a forked child: its own process group, ``parent_death`` when the parent
    dies (``None``: the child watches its parent itself), ``handler`` for SIGTERM
    and, unless ``interrupt`` is given, SIGINT (the defaults unless given), and
    SIGHUP's default.  The parent's signal wake-up socket and running event
    loop, if any, stay behind.

    What the child inherits is frozen out of its garbage collections
    (``gc.freeze``): mostly the libraries the parent imported once for every
    child, which live as long as the child does.  Walking them again in each
    child's collections cost a prose-edit rebuild 0.1 s of its 2.7 s, and a
    preview's rebuild 0.25 s of its 1.3 s.
    """
    gc.freeze()
    os.setpgid(0, 0)
    if parent_death is not None:
        die_with_parent(parent_death)
    signal.set_wakeup_fd(-1)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler if interrupt is None else interrupt)


def signal_children(pids: Iterable[int], signum: int) -> None:
    """Send ``signum`` to each child's process group (the child, off POSIX)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            if hasattr(os, "killpg"):
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)


def _stop_steps(
    send: Callable[[int], None], stopped: Callable[[], bool], grace: float
) -> Iterator[float]:
    """SIGTERM, pauses (yielded) until ``stopped()`` or ``grace`` s, then SIGKILL."""
    send(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while not stopped() and time.monotonic() < deadline:
        yield _POLL
    if not stopped():
        send(signal.SIGKILL)


def stop_gracefully(
    send: Callable[[int], None], stopped: Callable[[], bool], grace: float = STOP_GRACE
) -> None:
    """Stop a child with ``send(signum)``: SIGTERM, wait (blocking), SIGKILL."""
    for pause in _stop_steps(send, stopped, grace):
        time.sleep(pause)


async def stop_gracefully_async(
    send: Callable[[int], None], stopped: Callable[[], bool], grace: float = STOP_GRACE
) -> None:
    """:func:`stop_gracefully` in an event loop, which it never blocks."""
    for pause in _stop_steps(send, stopped, grace):
        await asyncio.sleep(pause)


def stop_process_groups(pids: list[int]) -> None:
    """SIGTERM each forked child's group, wait up to STOP_GRACE s, SIGKILL; reap.

    The caller is the only one that reaps these children.
    """
    running = _stop(pids, signal_children, STOP_GRACE)
    # The groups' other members get SIGKILL too, whether or not the child left.
    signal_children(pids, signal.SIGKILL)
    _reap(running)


def _stop(
    pids: list[int], send: Callable[[Iterable[int], int], None], grace: float
) -> list[int]:
    """SIGTERM with ``send(pids, signum)``, up to ``grace`` s, SIGKILL to those
    left; the children not reaped yet."""
    running = list(pids)

    def stopped() -> bool:
        for pid in list(running):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    return False
            running.remove(pid)
        return True

    stop_gracefully(lambda signum: send(running, signum), stopped, grace)
    return running


def _reap(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _other_group(pid: int) -> bool:
    """True if child ``pid`` is in a process group other than this process's."""
    try:
        return os.getpgid(pid) != os.getpgrp()
    except ProcessLookupError:
        return False


def _signal_groups(pids: Iterable[int], signum: int) -> None:
    """Send ``signum`` to each adopted process's group (never this process's)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            group = os.getpgid(pid)
            if group != os.getpgrp():
                os.killpg(group, signum)


@contextlib.contextmanager
def stops_handled_by(handler: Any) -> Iterator[None]:
    """In the block, SIGINT and SIGTERM go to ``handler``; after it, to the
    handlers they had (the default for one not set from Python)."""
    previous = {
        signum: signal.signal(signum, handler)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, signal.SIG_DFL if old is None else old)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends; then each acts as before.

    For a cleanup that a second Ctrl-C must not cut short, leaving behind the
    processes it was stopping.  The cleanups are bounded (``STOP_GRACE``).
    Only the main thread sets signal handlers: elsewhere the block just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    try:
        with stops_handled_by(lambda signum, _: got.append(signum)):
            yield
    finally:
        if got:
            signal.raise_signal(got[0])


_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37
_ADOPTION_ROUNDS = 10  # an adopted process's own children are adopted when it dies


@contextlib.contextmanager
def stopping_orphans() -> Iterator[None]:
    """When the block ends, stop the processes its children left behind.

    A cell's subprocess in a session of its own (``start_new_session``, a
    daemon's double fork) is outside its kernel's process group: stopping
    the group misses it, and once its parent has exited, init adopts it and
    it outlives the build.  On Linux this process is a *child subreaper* for
    the block (``PR_SET_CHILD_SUBREAPER``), so such orphans are adopted by it
    instead.  When the block ends, every child that was not there when it
    began and is not in this process's group is stopped (SIGTERM to its
    group, ``STOP_GRACE`` s, SIGKILL; at once after :class:`Interrupted`, as a
    supervisor may kill this process soon) and reaped.  Until then, an
    adopted process that exits stays a zombie.  Elsewhere the block just runs.
    """
    if not sys.platform.startswith("linux"):
        yield
        return
    import ctypes

    import psutil

    libc = ctypes.CDLL(None, use_errno=True)
    was = ctypes.c_int()
    libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(was))
    this = psutil.Process()
    before = {child.pid for child in this.children()}
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    grace = STOP_GRACE
    try:
        yield
    except Interrupted:
        grace = 0.0
        raise
    finally:
        try:
            with signals_deferred():  # a second Ctrl-C would leave them running
                _stop_adopted(this, before, grace)
        finally:
            libc.prctl(_PR_SET_CHILD_SUBREAPER, was.value)


def _stop_adopted(this: Any, before: set[int], grace: float) -> None:
    """Stop and reap the children adopted since ``before`` (:func:`stopping_orphans`)."""
    for _ in range(_ADOPTION_ROUNDS):
        adopted = [
            child.pid
            for child in this.children()
            if child.pid not in before and _other_group(child.pid)
        ]
        if not adopted:
            break
        _reap(_stop(adopted, _signal_groups, grace))
