"""The engine's command line: ``python -m d2l_book COMMAND [OPTIONS]``.

    python -m d2l_book build [BOOK...]   strict build of the site (``nox -s docs``)
    python -m d2l_book serve [BOOK]      live preview of one book (``nox -s serve``)
    python -m d2l_book pdf [BOOK...]     the print editions (``nox -s pdf``)
    python -m d2l_book save [--check]    the #@save code into d2l_prep (``nox -s save``)
    python -m d2l_book execute --shard I/N   execute one shard of the pages (CI)
    python -m d2l_book merge DIR...      merge shards' execution caches (CI)

Run it from the repository's root.  A command is one row of ``COMMANDS``: its
module gives ``add_arguments(parser)`` and ``main(args) -> int``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

# name -> (module of d2l_book, one line of help)
COMMANDS = {
    "build": ("build", "build both books strictly into docs/_build/html"),
    "serve": ("serve", "live preview of one book"),
    "pdf": ("pdf", "print each book as a PDF"),
    "save": ("save", "write the book's #@save code into src/d2l_prep"),
    "execute": ("shard", "execute shard I of N of the pages into the execution cache"),
    "merge": ("merge", "merge shards' execution caches into this checkout's"),
}


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run its command; the exit status.

    Only the chosen command's module is imported (``save`` needs nothing but
    the standard library; ``build`` imports Sphinx and Jupyter).
    """
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m d2l_book",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    module = None
    for name, (module_name, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == chosen:
            module = importlib.import_module(f"d2l_book.{module_name}")
            module.add_arguments(sub)
    args = parser.parse_args(argv)
    assert module is not None  # argparse refused any other command
    return int(module.main(args))


def _exit(status: int) -> None:
    """Leave with ``status``, without the interpreter's last garbage collection.

    A build imports some 1,500 modules (Sphinx, Jupyter, SQLAlchemy), and the
    collections Python runs while it shuts down walk all their objects: 0.25 s
    of a 2.6 s prose-edit rebuild.  Frozen objects are left out of every
    collection; files are still closed and ``atexit`` handlers still run.
    """
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    _exit(main())
