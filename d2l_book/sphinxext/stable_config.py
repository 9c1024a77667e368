"""The configuration declared as it ends up, so a no-op build sees no change.

Sphinx keeps the configuration with the environment and, on the next run,
compares the new one with it right after ``config-inited``; any difference is
reported ("The configuration has changed (...)") and costs a full re-read.
Some values are changed later, at ``builder-inited``, so they differed on
every run: sphinx-copybutton and sphinx-design append their static folders to
``html_static_path``, myst-parser sets ``processHtmlClass`` in
``mathjax3_config``, and the HTML builder gives each of ``html_css_files`` a
priority; and the theme, furo, is loaded with the builder, after the
comparison, so its option ``pygments_dark_style`` was missing from it.

So this extension makes those changes at ``config-inited``, after Sphinx's own
handlers, and at ``builder-inited``, after the extensions, it removes the
duplicates their appends made: the configuration then ends as it began. In
the books' HTML builds (tagged ``d2l_html`` by ``d2l_book.render.sphinx_args``)
it loads furo at once. (Not in other builds: furo refuses a LaTeX builder, and
it may not be named in ``extensions``.)

It also declares ``d2l_engine``, a digest of the engine's code: Sphinx
re-reads a page when its source or the configuration changes, not when an
extension's code does, so a rebuild after an edit to ``d2l_book/`` kept every
other page (and its words in the search index) as the old code made it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

# The tag of the books' HTML builds (d2l_book.render.sphinx_args).
HTML_TAG = "d2l_html"
# The builder's default priority of a user's stylesheet (Sphinx's html builder).
CSS_PRIORITY = 800


def extension_statics() -> list[str]:
    """The static folders sphinx-copybutton and sphinx-design add, as they add them."""
    import sphinx_copybutton
    from sphinx_design.extension import STATIC_DIR

    copybutton = Path(sphinx_copybutton.__file__).parent.joinpath("_static")
    return [str(copybutton.absolute()), str(STATIC_DIR)]


def declare_final_values(app: Any, config: Any) -> None:
    """Give the values their final form before Sphinx compares them."""
    config.html_static_path = list(
        dict.fromkeys([*config.html_static_path, *extension_statics()])
    )
    config.html_css_files = [
        (name, {"priority": CSS_PRIORITY, **attrs})
        for name, attrs in config.html_css_files
    ]
    myst_math = "dollarmath" in config.myst_enable_extensions
    if myst_math and config.myst_update_mathjax and config.mathjax3_config:
        options = config.mathjax3_config.setdefault("options", {})
        options["processHtmlClass"] = config.myst_mathjax_classes


def engine_digest() -> str:
    """SHA-256 of the engine's Python files (``d2l_book/``), names and bytes."""
    engine = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(engine.rglob("*.py")):
        hidden = any(part.startswith(".") for part in path.relative_to(engine).parts)
        if hidden or not path.is_file():  # an editor's lock link, a checkpoint
            continue
        digest.update(path.relative_to(engine).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def drop_duplicates(app: Any) -> None:
    """``html_static_path`` without the second copies the extensions appended."""
    app.config.html_static_path = list(dict.fromkeys(app.config.html_static_path))


def setup(app: Any) -> dict[str, Any]:
    if app.tags.has(HTML_TAG):
        app.setup_extension("furo")
    # A change of the engine's code re-reads every page ("env"), as an edit
    # of conf.py does.
    app.add_config_value("d2l_engine", engine_digest(), "env", types=[str])
    # After Sphinx's converters (800): html_css_files are (name, attrs) pairs.
    app.connect("config-inited", declare_final_values, priority=900)
    app.connect("builder-inited", drop_duplicates, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
