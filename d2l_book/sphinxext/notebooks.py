"""Offer each chapter as a Jupyter notebook the reader can run anywhere.

For every page with code cells, ``<page>.ipynb`` is written next to
``<page>.html``: the page's prose as Jupyter Markdown (``jupyter_markdown``:
cross-references become links to the site, solutions closed ``<details>``
blocks, no MyST syntax left) and its code as code cells (no outputs: running
it is the point), with stable cell ids so two builds write the same file.
The first cell installs what the notebook needs: ``d2l_prep`` from the wheel
the build puts on the site (``package_wheel.py``), or from the repository
that ``D2L_REPO_URL`` names, and any library the page imports that neither
PyTorch's nor the package's dependencies bring (:data:`EXTRA_REQUIREMENTS`).
Folded definitions (``hide-input``) and solution cells open folded in
JupyterLab and VS Code (``jupyter.source_hidden``).  The page's top-of-page
buttons link the notebook; :func:`write_zip` packs a book's notebooks.

Reading a page into a notebook is not free, and ``d2l_book/build.py`` has already
read every page to look it up in the execution cache; it stores the
notebooks in ``_build/notebooks/``, keyed by the page's text, where both
books' Sphinx processes find them.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

from d2l_book.settings import BUILD, repo_url
from d2l_book.sources.cells import PageError, check_line_breaks
from d2l_book.sphinxext.hosted_site import site_url

logger = logging.getLogger(__name__)

FORMAT = "1"  # bump when the stored notebook layout changes
# Importable in a fresh kernel once the package is installed: PyTorch, the
# package's dependencies (Pillow comes with Matplotlib) and the kernel's own.
PROVIDED = {
    "torch",
    "numpy",
    "matplotlib",
    "PIL",
    "d2l_prep",
    "IPython",
    "ipykernel",
    "matplotlib_inline",
}
# What else a page may import: module -> the pip requirement that brings it.
EXTRA_REQUIREMENTS = {"pandas": "pandas"}
# Cells a reader opens when wanted: in JupyterLab and VS Code, folded.
FOLDED_TAGS = {"hide-input", "solution"}
# Words the converted prose needs, per book.
STRINGS = {
    "en": {"module": "The documentation of {} is on the book's site.", "contents": ""},
    "zh": {"module": "{} 的文档在本书网站上。", "contents": ""},
}
INSTALL_COMMENT = "# d2l_prep, the package this book defines"
INSTALL_EXTRA = ", and what else this chapter imports"
# Fixed time of every member of a notebooks zip (the earliest zip can hold).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def cache_file(build_dir: Path, text: str) -> Path:
    """Where the notebook of a page with this text is stored."""
    digest = hashlib.sha256(f"{FORMAT}\n{text}".encode()).hexdigest()
    return build_dir / "notebooks" / f"{digest}.ipynb"


def notebook_text(nb: Any) -> str:
    """The downloadable form of a page's notebook, or "" when it has no code."""
    if not any(cell.cell_type == "code" for cell in nb.cells):
        return ""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("source_map", None)
    nb.metadata["language_info"] = {"name": "python"}
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    return str(nbformat.writes(nb)) + "\n"  # type: ignore[no-untyped-call]


def read_page(source: Path, text: str, extensions: set[str]) -> Any:
    """The notebook MyST-NB builds from a page's text (same cells and metadata).

    A front matter that is not YAML raises :class:`cells.PageError` naming the
    page and the line, instead of MyST-NB's chained tracebacks; so does a
    character MyST-NB's reader would take for a line break
    (:func:`cells.check_line_breaks`), instead of a misread page.
    """
    check_line_breaks(text, _shown(source))
    from myst_nb.core.read import (  # noqa: PLC0415
        MystMetadataParsingError,
        read_myst_markdown_notebook,
    )
    from myst_parser.config.main import MdParserConfig  # noqa: PLC0415

    config = MdParserConfig(enable_extensions=extensions)
    try:
        return read_myst_markdown_notebook(
            text, config=config, add_source_map=True, path=str(source)
        )
    except MystMetadataParsingError as error:
        raise PageError(_metadata_error(source, error)) from None


def _metadata_error(source: Path, error: Exception) -> str:
    """``page:line: …`` for a front matter (or cell options) YAML cannot read."""
    cause = error.__context__
    mark = getattr(cause, "problem_mark", None) or getattr(cause, "context_mark", None)
    line = f":{mark.line + 2}" if mark is not None else ""  # after the opening ---
    problem = getattr(cause, "problem", None) or str(error).splitlines()[0]
    return f"{_shown(source)}{line}: the front matter is not valid YAML: {problem}"


def _shown(source: Path) -> str:
    """``docs/en/page.md`` for a page of the book, else the path as given."""
    parts = source.parts
    return (
        "/".join(parts[-3:]) if len(parts) >= 3 and parts[-3] == "docs" else str(source)
    )


def store(build_dir: Path, text: str, read: Callable[[], Any]) -> str:
    """Store (once) and return the downloadable notebook of a page.

    ``read`` gives the page's notebook; it is called only when no notebook is
    stored yet for this text.
    """
    path = cache_file(build_dir, text)
    if path.exists():
        return path.read_text(encoding="utf-8")
    result = notebook_text(read())
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(result, encoding="utf-8")
    temporary.replace(path)
    return result


def prune(build_dir: Path, texts: list[str]) -> list[Path]:
    """Delete the stored notebooks of pages whose text is gone; the deleted paths.

    Every edit of a page stores a new notebook; a full build calls this with
    the text of every page, so the folder holds one notebook per page.
    """
    keep = {cache_file(build_dir, text) for text in texts}
    folder = build_dir / "notebooks"
    stale = sorted(set(folder.glob("*.ipynb")) - keep) if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def requirements(nb: Any) -> tuple[list[str], list[str]]:
    """The pip requirements a notebook's imports need beyond :data:`PROVIDED`.

    Returns the requirements and the modules that nothing known provides.
    Cells meant to fail (``raises-exception``) are not looked at.
    """
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415

    transform = TransformerManager().transform_cell  # type: ignore[no-untyped-call]
    modules: set[str] = set()
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or "raises-exception" in tags:
            continue
        for node in ast.walk(ast.parse(transform(cell.source))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    outside = sorted(modules - PROVIDED - set(sys.stdlib_module_names))
    found = sorted({EXTRA_REQUIREMENTS[m] for m in outside if m in EXTRA_REQUIREMENTS})
    return found, [m for m in outside if m not in EXTRA_REQUIREMENTS]


def install_source(site: str, wheel: str, repo: str | None = None) -> str:
    """What ``%pip install`` takes ``d2l_prep`` from: the repository or the site."""
    if repo:
        return repo if repo.startswith("git+") else f"git+{repo}"
    return f"{site}packages/{wheel}"


def install_cell(package: str, extra: list[str]) -> Any:
    """The first cell of every notebook: one ``%pip install`` line."""
    line = " ".join(["%pip install -q", package, *extra])
    comment = INSTALL_COMMENT + (INSTALL_EXTRA if extra else "")
    return nbformat.v4.new_code_cell(f"{comment}\n{line}")  # type: ignore[no-untyped-call]


def exported(text: str, convert: Callable[[str], str], install: Any) -> str:
    """The notebook a reader downloads, from a stored notebook's text.

    Markdown cells go through ``convert`` (MyST → Jupyter Markdown; a cell
    left empty is dropped), ``install`` becomes the first cell, folded cells
    get ``jupyter.source_hidden``, and cell ids are renumbered.
    """
    nb = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    cells = [install]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = convert(cell.source)
            if not cell.source:
                continue
        elif FOLDED_TAGS & set(cell.metadata.get("tags", [])):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        cells.append(cell)
    nb.cells = cells
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    return str(nbformat.writes(nb)) + "\n"  # type: ignore[no-untyped-call]


def write_zip(folder: Path, target: Path) -> bool:
    """Pack the notebooks of a book's folder into ``target``, reproducibly.

    Members are ``<target stem>/<page>.ipynb`` in name order, with a fixed
    time and mode, so the same notebooks give the same bytes.  Returns True
    if the file was (re)written, False if it already held these bytes.
    """
    import io  # noqa: PLC0415

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.ipynb")):
            info = zipfile.ZipInfo(f"{target.stem}/{path.name}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    data = buffer.getvalue()
    if target.exists() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    return True


def _resolver(
    app: Sphinx, pagename: str
) -> Callable[[str, str], tuple[str, str | None]]:
    """Resolve a role as Sphinx resolves it on the page, to an absolute URL."""
    from docutils import nodes  # noqa: PLC0415
    from sphinx import addnodes  # noqa: PLC0415
    from sphinx.util.nodes import split_explicit_title  # noqa: PLC0415

    env, builder = app.env, app.builder
    std = env.get_domain("std")
    page = urljoin(str(app.config.html_baseurl), builder.get_target_uri(pagename))

    def address(node: Any) -> str | None:
        if node is None:
            return None
        if node.get("refuri") is not None:
            return urljoin(page, str(node["refuri"]))
        return f"{page}#{node['refid']}" if node.get("refid") else page

    def resolve(role: str, text: str) -> tuple[str, str | None]:
        if role == "module":
            module = env.get_domain("py").data["modules"].get(text)
            if module is None:
                return text, None
            uri = builder.get_relative_uri(pagename, module[0])
            return text, urljoin(page, f"{uri}#{module[1]}")
        if role == "image":
            return text, urljoin(page, f"_images/{Path(text).name}")
        explicit, title, target = split_explicit_title(text)
        if role in {"ref", "numref"}:
            target = target.lower()
        node = addnodes.pending_xref(
            "", refdomain="std", reftype=role, reftarget=target, refexplicit=explicit
        )
        node["refdoc"] = pagename
        contnode = nodes.inline(title, title)
        found = std.resolve_xref(env, pagename, builder, role, target, node, contnode)
        return (found.astext() if found is not None else title), address(found)

    return resolve


def _converter(app: Sphinx, pagename: str) -> Callable[[str], str]:
    from d2l_book.jupyter_markdown import Converter, UnsupportedSyntax  # noqa: PLC0415

    book = app.config.bilingual_book
    converter = Converter(
        app.config.myst_enable_extensions,
        _resolver(app, pagename),
        STRINGS.get(book, STRINGS["en"]),
    )
    location = app.env.doc2path(pagename)

    def convert(text: str) -> str:
        try:
            return converter.convert(text)
        except UnsupportedSyntax as error:
            logger.warning(
                "the notebook cannot show %s (a markdown cell: %s)",
                error,
                text.strip().splitlines()[0][:60],
                location=str(location),
            )
            return text

    return convert


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    text = source.read_text(encoding="utf-8")
    build_dir = Path(app.config.d2l_build_dir)
    extensions = set(app.config.myst_enable_extensions)
    stored = store(build_dir, text, lambda: read_page(source, text, extensions))
    if not stored:
        return
    from d2l_book.package_wheel import wheel_name  # noqa: PLC0415

    extra, unknown = requirements(nbformat.reads(stored, as_version=4))  # type: ignore[no-untyped-call]
    for module in unknown:
        logger.warning(
            "a code cell imports %r, which the notebook's install cell does not "
            "install (add it to notebooks.EXTRA_REQUIREMENTS)",
            module,
            location=str(source),
        )
    package = install_source(site_url(), wheel_name(), repo_url())
    result = exported(stored, _converter(app, pagename), install_cell(package, extra))
    target = Path(app.outdir) / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != result:
        target.write_text(result, encoding="utf-8")
    context["notebook_url"] = f"{Path(pagename).name}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    # The build folder (set in docs/conf.py from d2l_book/settings.py), not a
    # guess from the doctree folder: a plain ``sphinx-build`` with any output
    # folder keeps its notebooks in the build tree, never in the sources.
    app.add_config_value("d2l_build_dir", str(BUILD), "env", str)
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
