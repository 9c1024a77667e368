"""The engine's command line: ``python -m d2l_book COMMAND [OPTIONS]``.

    python -m d2l_book build [BOOK...]   strict build of the site (``nox -s docs``)
    python -m d2l_book serve [BOOK]      live preview of one book (``nox -s serve``)
    python -m d2l_book pdf [BOOK...]     the print editions (``nox -s pdf``)
    python -m d2l_book save [--check]    the #@save code into d2l_prep (``nox -s save``)

Run it from the repository's root.  A command is one row of ``COMMANDS``: its
module gives ``add_arguments(parser)`` and ``main(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module of d2l_book, one line of help)
COMMANDS = {
    "build": ("build", "build both books strictly into docs/_build/html"),
    "serve": ("serve", "live preview of one book"),
    "pdf": ("pdf", "print each book as a PDF"),
    "save": ("save", "write the book's #@save code into src/d2l_prep"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m d2l_book", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module, summary) in COMMANDS.items():
        modules[name] = importlib.import_module(f"d2l_book.{module}")
        sub = commands.add_parser(name, help=summary, description=summary)
        modules[name].add_arguments(sub)
    args = parser.parse_args(argv)
    return int(modules[args.command].main(args))


if __name__ == "__main__":
    sys.exit(main())
