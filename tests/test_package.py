"""The runtime package as a whole: small functions."""

from __future__ import annotations

import ast

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "d2l_prep"
MAX_LINES = 60
# graphs.py is being split into smaller modules (issue 12, section 3); the
# modules that replace it are checked like every other.


def functions(path_name: str) -> list[tuple[str, int]]:
    tree = ast.parse((PACKAGE / path_name).read_text(encoding="utf-8"))
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


@pytest.mark.parametrize(
    "module",
    sorted(p.name for p in PACKAGE.glob("*.py")),
)
def test_no_function_is_longer_than_60_lines(module: str) -> None:
    long = [(name, n) for name, n in functions(module) if n > MAX_LINES]
    assert long == [], f"{module}: functions over {MAX_LINES} lines: {long}"
