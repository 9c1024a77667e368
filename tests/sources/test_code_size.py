"""No module over 400 lines, no function over 60, in the engine and the package.

The developers' guide sets both limits (CONTRIBUTING); this test measures them
with ``ast`` over ``d2l_book/`` and ``src/d2l_prep/``, so a violation fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.book import ROOT

MODULE_LINES = 400
FUNCTION_LINES = 60
MODULES = sorted(
    path
    for folder in (ROOT / "d2l_book", ROOT / "src" / "d2l_prep")
    for path in folder.rglob("*.py")
    if "__pycache__" not in path.parts
)


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def long_functions(text: str, limit: int = FUNCTION_LINES) -> list[str]:
    """``name (N lines)`` for each function or method of ``text`` over ``limit``."""
    return [
        f"{node.name} (line {node.lineno}, {size} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (size := (node.end_lineno or node.lineno) - node.lineno + 1) > limit
    ]


def test_the_measure_finds_a_long_function() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}") == [
        f"f (line 1, {FUNCTION_LINES + 1} lines)"
    ]
    assert long_functions(f"def f():\n{body[: -len('    x59 = 59') - 1]}") == []


def test_there_are_modules_to_measure() -> None:
    names = {_name(path) for path in MODULES}
    assert {"d2l_book/build.py", "src/d2l_prep/__init__.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_short(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= MODULE_LINES, f"{_name(path)} has {lines} lines"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_short(path: Path) -> None:
    assert long_functions(path.read_text(encoding="utf-8")) == []
