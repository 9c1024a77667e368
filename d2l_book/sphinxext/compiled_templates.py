"""The HTML templates compiled once, not once per Sphinx process.

Each Sphinx process compiles every Jinja template it renders (furo's page
layout and its parts: about 20 templates) from source, and a prose-edit
rebuild runs one process per book.  Jinja keeps compiled templates on disk
with its own ``FileSystemBytecodeCache``, checked against each template's
source, so an edited template is compiled again; Sphinx never sets one.  This
gives the HTML builder's template environment one, in the book's doctree
folder: in the build tree, where a plain ``sphinx-build`` writes too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

FOLDER = "jinja-bytecode"


def _keep_compiled_templates(app: Sphinx) -> None:
    import jinja2
    import sphinx

    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is None:  # a builder without Jinja templates (LaTeX)
        return
    # Jinja checks each template's source, not the versions that compiled it.
    versions = f"jinja2-{jinja2.__version__}-sphinx-{sphinx.__version__}"
    folder = Path(app.doctreedir) / FOLDER / versions
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _keep_compiled_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
