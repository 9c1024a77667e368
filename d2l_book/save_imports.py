"""The import lines of the modules ``save`` writes: gathered, then sorted.

A ``#@save`` cell's imports are hoisted to the top of its module, in the
order ruff's isort rules want, so that a generated module passes ``nox -s
lint`` as it is written.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence


def split_imports(code: str) -> tuple[list[str], str]:
    """Separate a cell's top-level import statements from the rest of its code."""
    lines = code.splitlines()
    imports: list[str] = []
    drop: set[int] = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            end = node.end_lineno or node.lineno
            imports.append("\n".join(lines[node.lineno - 1 : end]))
            drop.update(range(node.lineno - 1, end))
    rest = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return imports, rest.strip("\n")


FIRST_PARTY = "d2l_prep"


def _import_key(statement: str) -> tuple[int, int, str]:
    """Where an import statement goes: section, style, then module name.

    The order is the one ``ruff check --select I`` (isort's) wants with this
    project's settings: standard library, third party, then ``d2l_prep``,
    a blank line between sections; in each, ``import x`` lines before
    ``from x import y`` lines, each kind sorted by module name. Written here
    rather than by calling ruff so that the tool needs nothing but Python.
    """
    node = ast.parse(statement).body[0]
    if isinstance(node, ast.ImportFrom):
        module, style = node.module or "", 1
    else:
        assert isinstance(node, ast.Import)
        module, style = node.names[0].name, 0
    top = module.split(".")[0]
    if top == FIRST_PARTY:
        section = 2
    elif top in sys.stdlib_module_names or top == "__future__":
        section = 0
    else:
        section = 1
    return section, style, module.lower()


def member_key(name: str) -> tuple[int, str]:
    """isort's order of imported names: constants, then classes, then the rest."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def sorted_imports(imports: Sequence[str]) -> str:
    """The import statements in isort's order, sections apart (see _import_key)."""
    blocks: list[str] = []
    last = -1
    for statement in sorted(imports, key=_import_key):
        section = _import_key(statement)[0]
        if blocks and section != last:
            blocks.append("")
        blocks.append(statement)
        last = section
    return "\n".join(blocks)
