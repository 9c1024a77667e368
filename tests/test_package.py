"""The runtime package as a whole: small modules, small functions."""

from __future__ import annotations

import ast

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "d2l_prep"
MAX_LINES = 60
MAX_MODULE_LINES = 400
MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))


def functions(path_name: str) -> list[tuple[str, int]]:
    tree = ast.parse((PACKAGE / path_name).read_text(encoding="utf-8"))
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


@pytest.mark.parametrize("module", MODULES)
def test_no_function_is_longer_than_60_lines(module: str) -> None:
    long = [(name, n) for name, n in functions(module) if n > MAX_LINES]
    assert long == [], f"{module}: functions over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("module", MODULES)
def test_no_module_is_longer_than_400_lines(module: str) -> None:
    lines = len((PACKAGE / module).read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, (
        f"{module}: {lines} lines, over {MAX_MODULE_LINES}"
    )
