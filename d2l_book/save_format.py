"""ruff format for the modules ``python -m d2l_book save`` writes.

The generated modules are formatted exactly as ``nox -s lint`` checks them,
with the project's own ruff settings (``pyproject.toml``), so that lint never
fails on generated code and ``save --check`` compares like with like.

ruff is required: without it the tool stops with a message saying how to get
it, rather than writing code that lint would then reject. ``nox -s save`` runs
where ruff is installed (the environment it shares with ``nox -s lint``), and
the shared book environment has it through the ``test`` extra; the version is
pinned in ``constraints.txt`` so that every environment formats alike.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["RuffMissing", "ruff_command", "format_module"]


class RuffMissing(RuntimeError):
    """ruff is neither importable here nor on ``PATH``."""


def ruff_command() -> list[str]:
    """How to run ruff: this interpreter's ``ruff`` module, else one on ``PATH``."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    if found:
        return [found]
    raise RuffMissing(
        f"ruff is not installed for {sys.executable} nor on PATH; the #@save "
        "modules are written ruff-formatted. Run `nox -s save` (it installs "
        "ruff), or `pip install -c constraints.txt ruff` here."
    )


def format_module(text: str, path: Path, root: Path) -> str:
    """``text`` as ``ruff format`` writes it for ``path`` under ``root``.

    Raises
    ------
    RuffMissing
        If no ruff is found.
    ValueError
        If ruff cannot format the text (a syntax error in a saved cell).
    """
    result = subprocess.run(
        [*ruff_command(), "format", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if result.returncode != 0:
        raise ValueError(
            f"ruff format failed on the generated {path.relative_to(root)}:\n"
            + result.stderr.strip()
        )
    return result.stdout
