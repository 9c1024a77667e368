"""Keep machine-specific paths out of the tracebacks that pages show.

A cell tagged ``raises-exception`` shows its traceback, whose frames inside
libraries name files by absolute path (``~/…/site-packages/torch/_tensor.py``).
Those paths say nothing to the reader and differ between machines and
virtual environments, so two builds would not give the same page.  This
transform shortens them to the path inside the installed package
(``torch/_tensor.py``, ``inspect.py``) and drops the temporary folder cells run in.
The book's own package gets the same treatment when it is installed from the
source tree (``pip install -e .``): ``…/src/d2l_prep/graph_draw.py`` becomes
``d2l_prep/graph_draw.py``, as it would from an ordinary install.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

# A path into the Python installation: the standard library or an installed
# package (``…/lib/python3.11/inspect.py``, ``…/site-packages/torch/…``).
_SITE_PACKAGES = re.compile(
    r"(?:~|/)[^\s:\x1b'\"]*?/(?:lib/python3\.\d+/(?:(?:site|dist)-packages/)?|(?:site|dist)-packages/)"
)
# The package's source tree, in an editable install: ``…/src/d2l_prep/…``.
_SOURCE_TREE = re.compile(r"(?:~|/)[^\s:\x1b'\"]*?/src/(?=d2l_prep/)")
_TEMP_CWD = re.compile(r"/tmp/[^\s/\x1b'\"]+/")


def clean(text: str) -> str:
    """Shorten library paths and drop temporary folders in ``text``."""
    text = _SOURCE_TREE.sub("", _SITE_PACKAGES.sub("", text))
    return _TEMP_CWD.sub("", text)


class CleanTracebacks(SphinxTransform):
    default_priority = 950

    def apply(self, **kwargs: Any) -> None:
        for block in self.document.findall(nodes.literal_block):
            if "output" not in block.get("classes", []):
                continue
            text = block.astext()
            cleaned = clean(text)
            if cleaned != text:
                block.children = []
                block += nodes.Text(cleaned)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(CleanTracebacks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
