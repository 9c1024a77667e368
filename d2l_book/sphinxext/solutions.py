"""Put executed solution cells inside their exercise's dropdown.

MyST-NB only executes top-level ``code-cell`` blocks, so a solution is written
as a dropdown followed by its cells::

    :::{dropdown} Solution
    :class-container: solution

    The prose of the solution.
    :::

    ```{code-cell} ipython3
    :tags: [solution]
    ...
    ```

This transform moves each cell tagged ``solution`` into the solution dropdown
just before it, so the reader opens prose, code and output together.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx_design.shared import is_component

logger = logging.getLogger(__name__)


def _is_solution_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and "tag_solution" in node.get(
        "classes", []
    )


def _is_solution_dropdown(node: nodes.Node | None) -> bool:
    return (
        node is not None
        and is_component(node, "dropdown")
        and "solution" in node.get("container_classes", [])
    )


class MoveSolutionCells(SphinxTransform):
    default_priority = 900

    def apply(self, **kwargs: Any) -> None:
        for cell in list(self.document.findall(_is_solution_cell)):
            parent = cell.parent
            index = parent.index(cell)
            previous = parent[index - 1] if index > 0 else None
            if previous is None or not _is_solution_dropdown(previous):
                logger.warning(
                    "a cell tagged 'solution' must follow a ':::{dropdown}' with "
                    "':class-container: solution'",
                    location=cell,
                )
                continue
            parent.remove(cell)
            previous.append(cell)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(MoveSolutionCells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
