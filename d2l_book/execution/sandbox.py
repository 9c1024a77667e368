"""Confine each kernel: where its cells may write, how much memory they may use.

A page's code may write only in

- its working folder (the kernel's current folder, also its ``TMPDIR``),
- its kernel's private folder (connection file, IPC sockets, and the
  kernel's own ``IPYTHONDIR`` and ``XDG_CACHE_HOME``, new and empty),
- ``/dev/null``.

Nothing a kernel may write outlives it or is seen by another kernel: both
folders are new for each kernel and removed with it.  Matplotlib's folder
(``MPLCONFIGDIR``, ``_build/kernel-matplotlib``, ``settings.KERNEL_MATPLOTLIB``)
is shared but only readable: the build writes its font cache before any
kernel starts (building it in every kernel would cost seconds).  A shared
writable home let one page's cell change another page, or the next build:
an IPython startup file, a Matplotlib style (issue 19, section 1).

Reading stays open.  Any other write (``open("../../x", "w")``, a file in
``/tmp``, ``$HOME`` or ``docs/``) is refused by the operating system with
``EACCES``: the cell raises ``PermissionError`` naming the path, and the
build reports it like any other failing cell (page, cell, line), with
:func:`permission_note` saying where a cell may write.

The confinement is the Linux kernel's **Landlock** security module (Linux
5.13 or later), which lets an unprivileged process give up rights for itself
and for every process it starts.  It restricts the calling thread and what
it starts afterwards, so :func:`enter` runs in the kernel before it has any
other thread: in a forked kernel right after the fork, before IPython starts;
in a launched kernel (``D2L_EXECUTOR=launch``) this module is the program
jupyter_client starts: it confines itself, then ``exec``s the real kernel
(Landlock rules and resource limits survive ``exec``).  The system calls go
through `landlockpy <https://pypi.org/project/landlockpy/>`_, a maintained
pure-Python binding (no compiler, only ``ctypes``); where Landlock is missing
(macOS, Windows, an old Linux kernel) the build says once that cells are not
confined (:func:`say_unconfined`) and runs them anyway.

Memory: each kernel gets ``RLIMIT_DATA`` (``D2L_KERNEL_MEMORY`` GiB), which
counts the heap and private writable mappings, where a cell's arrays live.
Not ``RLIMIT_AS``: address space also grows with what is reserved and never
used, a stack and a malloc arena per thread, so with the cores, not with the
page (measured 2026-12-06 on the book: the busiest kernel peaked at 1.79 GiB
of address space, ``VmSize``, for 0.66 GiB of data, ``VmData``; PyTorch with
8 threads alone: 1.3 GiB for 0.38 GiB).  A cgroup would need a delegated
cgroup tree, which a build cannot count on.  A cell over the limit gets
``MemoryError`` (or PyTorch's "can't allocate memory"), and the report names
the limit and the setting (:func:`memory_note`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from typing import Any

# The rights Landlock withholds (none of them is about reading): writing to
# or truncating a file, creating, removing, linking or renaming anything.
_WRITE_RIGHT_NAMES = (
    "WRITE_FILE",
    "REMOVE_DIR",
    "REMOVE_FILE",
    "MAKE_CHAR",
    "MAKE_DIR",
    "MAKE_REG",
    "MAKE_SOCK",
    "MAKE_FIFO",
    "MAKE_BLOCK",
    "MAKE_SYM",
    "REFER",
    "TRUNCATE",
)
# Files (not folders) every kernel may write to: a Landlock rule on a file
# may grant only rights on files.
WRITABLE_FILES = ("/dev/null",)
_FILE_RIGHT_NAMES = ("WRITE_FILE", "TRUNCATE")

_said: list[bool] = []


def abi() -> int:
    """The Landlock ABI version this system offers, 0 if none."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        import landlockpy
    except ImportError:
        return 0
    return int(landlockpy.abi_version())


def say_unconfined() -> None:
    """Say, once per process, that cells are not confined on this system."""
    # Imported here: a launched kernel runs this file as a script, where the
    # d2l_book package is not importable (main).
    from d2l_book.console import say  # noqa: PLC0415

    if not _said:
        _said.append(True)
        say(
            "note: this system has no Landlock (Linux 5.13 or later): "
            "cells may write outside their working folder",
            problem=True,
        )


def kernel_environment(private: str, matplotlib: str) -> dict[str, str]:
    """A kernel's settings and caches: its own in ``private``, Matplotlib's shared."""
    return {
        "MPLCONFIGDIR": matplotlib,
        "IPYTHONDIR": os.path.join(private, "ipython"),
        "XDG_CACHE_HOME": os.path.join(private, "cache"),
    }


def prepare(matplotlib: str, old_home: str) -> None:
    """In the build, before any kernel: Matplotlib's folder, and no old home.

    ``MPLCONFIGDIR`` goes into this process's environment before Matplotlib
    is imported here (it reads it once), so the build writes the font cache
    the kernels read (forked ones inherit it, launched ones find it there).
    The others are set by each kernel for itself (:func:`enter`), so that the
    build's other programs (Sphinx, LaTeX) keep their own caches.
    ``old_home`` (the shared writable home of earlier builds) is removed:
    what a cell left there is not read again, nor kept.
    """
    os.makedirs(matplotlib, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = matplotlib
    if os.path.isdir(old_home):
        shutil.rmtree(old_home, ignore_errors=True)


def _rights(names: Sequence[str]) -> int:
    import landlockpy

    value = landlockpy.AccessFS.NONE
    for name in names:
        value |= getattr(landlockpy.AccessFS, name)
    return int(value)


def confine(writable: Sequence[str]) -> bool:
    """Allow this process and its children to write only in ``writable``.

    Returns False (and changes nothing) where Landlock is missing.  Rights
    this kernel's Landlock does not know (e.g. ``TRUNCATE`` before ABI 3)
    are left out: they were never withheld.
    """
    if not abi():
        return False
    import landlockpy

    handled = landlockpy.AccessFS(_rights(_WRITE_RIGHT_NAMES))
    with landlockpy.Ruleset(
        handled_fs=handled, handled_net=landlockpy.AccessNet.NONE
    ) as rules:
        for folder in writable:
            rules.allow_path(folder, handled)
        for path in WRITABLE_FILES:
            if os.path.exists(path):
                rules.allow_path(path, landlockpy.AccessFS(_rights(_FILE_RIGHT_NAMES)))
        rules.restrict()
    return True


def limit_memory(gib: float) -> None:
    """Cap this process's data memory (``RLIMIT_DATA``) at ``gib`` GiB."""
    import resource

    if not hasattr(resource, "RLIMIT_DATA"):
        return
    limit = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def enter(folder: str, private: str, matplotlib: str, memory_gib: float) -> None:
    """In a new kernel, before its first thread: confine it to its folders.

    ``folder`` becomes ``TMPDIR`` (Python's ``tempfile`` included),
    ``private`` holds its own settings and caches, ``matplotlib`` is
    Matplotlib's shared folder (:func:`kernel_environment`); it may write
    only in ``folder`` and ``private``.  A failure is printed (the kernel
    then dies, so the build names it) rather than ignored.
    """
    import tempfile

    try:
        os.environ["TMPDIR"] = folder
        own = kernel_environment(private, matplotlib)
        os.environ.update(own)
        for name in ("IPYTHONDIR", "XDG_CACHE_HOME"):
            os.makedirs(own[name], exist_ok=True)
        tempfile.tempdir = None  # forget the parent's choice
        limit_memory(memory_gib)
        confine([folder, private])
    except Exception:
        import traceback

        traceback.print_exc()
        raise


def enter_kernel(folder: str, private: str) -> None:
    """:func:`enter` with the build's folders and memory setting (in the kernel)."""
    from d2l_book import settings

    matplotlib = str(settings.KERNEL_MATPLOTLIB)
    enter(folder, private, matplotlib, settings.kernel_memory())


def confine_launched(km: Any, folder: str, private: str) -> None:
    """Make jupyter_client start the kernel of ``km`` through :func:`main`."""
    from d2l_book import settings

    spec = km.kernel_spec  # a fresh copy for this manager: changing it is local
    matplotlib, memory = str(settings.KERNEL_MATPLOTLIB), settings.kernel_memory()
    spec.argv = launch_command(spec.argv, folder, private, matplotlib, memory)


def launch_command(
    argv: Sequence[str],
    folder: str,
    private: str,
    matplotlib: str,
    memory_gib: float,
) -> list[str]:
    """The command that confines a launched kernel, then runs ``argv``."""
    if os.name != "posix":
        return list(argv)  # no exec, no rlimits: Windows runs kernels as they are
    names = ("python", f"python{sys.version_info[0]}")
    command = list(argv)
    if command and command[0] in names + (f"{names[1]}.{sys.version_info[1]}",):
        command[0] = sys.executable  # as jupyter_client does for argv[0]
    options = ["--folder", folder, "--private", private, "--matplotlib", matplotlib]
    options += ["--memory", repr(memory_gib)]
    return [sys.executable, os.path.abspath(__file__), *options, "--", *command]


def main(argv: Sequence[str]) -> None:
    """``sandbox.py --folder F --private P --matplotlib M --memory GIB -- COMMAND``."""
    import argparse

    parser = argparse.ArgumentParser(description="run COMMAND confined")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--private", required=True)
    parser.add_argument("--matplotlib", required=True)
    parser.add_argument("--memory", type=float, required=True)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    enter(args.folder, args.private, args.matplotlib, args.memory)
    os.execv(args.command[0], args.command)


def page_timeout(nb: Any, default: int, setting: str) -> tuple[int, str]:
    """Seconds a cell of this notebook may run, and what set them.

    A page's front matter ``mystnb: {execution_timeout: N}`` (MyST-NB's own
    key) wins over the build's setting.
    """
    own = nb.metadata.get("mystnb", {}).get("execution_timeout")
    if own is None:
        return default, setting
    if isinstance(own, bool) or not isinstance(own, int) or own <= 0:
        raise ValueError(
            f"mystnb.execution_timeout must be a positive int, got {own!r}"
        )
    return own, "this page's mystnb.execution_timeout"


# -- What the build's error report adds ---------------------------------------

# One path, or two for a rename or a link ('a' -> 'b'; either may be refused).
_DENIED = re.compile(
    r"PermissionError: \[Errno 13\] [^\n]*?'([^'\n]+)'(?: -> '([^'\n]+)')?"
)
_NO_MEMORY = re.compile(
    r"MemoryError|can't allocate memory|Cannot allocate memory|Unable to allocate"
)


def permission_note(detail: str, folder: str | None) -> str:
    """For a refused write: which path it was, and where a cell may write."""
    found = _DENIED.findall(detail)
    if not found or not abi():
        return ""
    paths = [_shown(path, folder) for path in found[-1] if path]
    what = f"writing {paths[0]}"
    if len(paths) == 2:
        what = f"moving or linking {paths[0]} to {paths[1]}"
    return (
        f"{what} was refused: a cell may write only in its working "
        "folder (relative paths, tempfile, $TMPDIR)"
    )


def _shown(path: str, folder: str | None) -> str:
    """``path``, and where it is when it is relative to ``folder``."""
    if folder and not os.path.isabs(path):
        return f"{path} (that is, {os.path.normpath(os.path.join(folder, path))})"
    return path


def memory_note(detail: str, limit: str) -> str:
    """For a cell out of memory: the limit (and the setting that raises it)."""
    if not _NO_MEMORY.search(detail):
        return ""
    return f"the cell ran out of memory: the kernel's limit is {limit}"


if __name__ == "__main__":
    main(sys.argv[1:])
