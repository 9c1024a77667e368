"""Pair every page with its counterpart in the other language.

Each book is built from its own source folder (``docs/en``, ``docs/zh``) into
``_build/html/<book>/``; a page has the same name in both.  This extension
gives the templates a link to the counterpart page (the language switcher)
and adds ``<link rel="alternate" hreflang="…">`` tags to every page head.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from d2l_book.settings import REPO_LABELS

SWITCH_LABELS = {"en": "English", "zh": "中文"}


def repo_links(
    repo: str, book: str, pagename: str, suffix: str | None
) -> dict[str, str] | None:
    """The page's "edit" and "report" links and the repository's, or None if no repo.

    Only pages with a source file get an edit link (not genindex, search, 404).
    """
    if not repo:
        return None
    labels = REPO_LABELS[book]
    links = {
        "repo_url": repo,
        "repo_label": labels["repo"],
        "report_url": f"{repo}/issues/new",
        "report_label": labels["report"],
    }
    if suffix:
        links["edit_url"] = f"{repo}/blob/main/docs/{book}/{pagename}{suffix}"
        links["edit_label"] = labels["edit"]
    return links


def counterpart_url(pagename: str, book: str) -> str:
    """Relative URL from ``pagename`` in one book to the same page in ``book``."""
    up = "../" * (pagename.count("/") + 1)
    return f"{up}{book}/{pagename}.html"


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    books: dict[str, dict[str, str]] = app.config.bilingual_books
    this = app.config.bilingual_book
    links = []
    for book, info in books.items():
        href = counterpart_url(pagename, book)
        links.append(
            f'<link rel="alternate" hreflang="{info["hreflang"]}" href="{escape(href)}" />'
        )
    context["metatags"] = context.get("metatags", "") + "\n".join(links) + "\n"
    context["other_books"] = [
        {
            "book": book,
            "hreflang": info["hreflang"],
            "label": SWITCH_LABELS[book],
            "url": counterpart_url(pagename, book),
        }
        for book, info in books.items()
        if book != this
    ]
    context["repo_links"] = repo_links(
        app.config.d2l_repo_url,
        this,
        pagename,
        context.get("page_source_suffix") if doctree is not None else None,
    )


def _own_output_folder(app: Sphinx) -> None:
    """Give each book its own folder for MyST-NB's executed notebooks and images.

    MyST-NB writes them to ``<outdir>/../jupyter_execute``, which both books
    share (``_build/html``) and which would be published with the site.
    """
    # MyST-NB keeps its configuration on the environment (no typed attribute).
    config = getattr(app.env, "mystnb_config")  # noqa: B009
    book = app.config.bilingual_book
    folder = Path(app.config.d2l_build_dir) / "jupyter_execute" / book
    setattr(app.env, "mystnb_config", config.copy(output_folder=str(folder.resolve())))  # noqa: B010


def setup(app: Sphinx) -> dict[str, Any]:
    # after MyST-NB's own builder-inited handler (priority 500)
    app.connect("builder-inited", _own_output_folder, priority=600)
    app.add_config_value("bilingual_book", "en", "html", types=[str])
    app.add_config_value("bilingual_books", {}, "html", types=[dict])
    app.add_config_value("d2l_repo_url", "", "html", types=[str])
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
