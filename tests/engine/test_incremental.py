"""A rebuild gives the pages and search index a cold build gives.

Sphinx rebuilds only what it thinks changed; these tests build the small
throw-away book (engine_book.py), change one thing, rebuild, and compare with
what a cold build writes.
"""

from __future__ import annotations

import json
import os
import re
import shutil

from d2l_book.sphinxext.compiled_templates import FOLDER
from tests.book import BOOKS
from tests.engine.engine_book import SmallBook, built_book, page


def build(book: SmallBook) -> str:
    result = book.build()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def search_index(book: SmallBook, language: str) -> str:
    path = book.build_dir / "html" / language / "searchindex.js"
    return path.read_text(encoding="utf-8")


def parsed(text: str) -> dict[str, object]:
    prefix = "Search.setIndex("
    assert text.startswith(prefix) and text.endswith(")")
    data = json.loads(text[len(prefix) : -1])
    assert isinstance(data, dict)
    return data


def test_a_rebuild_writes_the_search_index_of_a_cold_build(book: SmallBook) -> None:
    """Index entries survive a rebuild; a word taken out leaves the index."""
    beta = page("Beta", "x = 21", "print('beta', 2 * x)")
    book.write("beta.md", beta + "\n```{index} gamma ray\n```\n\nGamma rays.\n")
    build(book)
    cold = {language: search_index(book, language) for language in BOOKS}
    assert "gamma ray" in parsed(cold["en"])["indexentries"]  # type: ignore[operator]

    alpha = page("Alpha", "print('alpha', 1 + 1)")
    book.write("alpha.md", alpha.replace("Some prose.", "Some zyzzyva prose."))
    build(book)
    edited = parsed(search_index(book, "en"))
    assert "zyzzyva" in edited["terms"]  # type: ignore[operator]
    assert "gamma ray" in edited["indexentries"]  # type: ignore[operator]

    book.write("alpha.md", alpha)
    build(book)
    for language in BOOKS:
        assert search_index(book, language) == cold[language]
    build(book)  # a no-op build keeps it too
    assert search_index(book, "en") == cold["en"]


def test_a_page_whose_cached_outputs_changed_is_read_again(book: SmallBook) -> None:
    """New outputs for an unchanged page (the cache was emptied) reach the page."""
    data = book.root / "data.txt"
    data.write_text("first reading", encoding="utf-8")
    cell = f"print(open({str(data)!r}).read())"
    book.write("alpha.md", page("Alpha", cell))
    build(book)
    assert "first reading" in book.html("en", "alpha")

    data.write_text("second reading", encoding="utf-8")
    shutil.rmtree(book.build_dir / ".jupyter_cache")
    log = build(book)
    assert "executed docs/en/alpha.md" in log
    for language in BOOKS:
        assert "second reading" in book.html(language, "alpha")
    # Once read again, it is not read every time: the next build that runs
    # Sphinx (another page touched) reads that other page alone.
    os.utime(book.docs / "en" / "beta.md")
    build(book)
    sphinx_log = (book.build_dir / "sphinx-en.log").read_text("utf-8")
    assert "0 added, 1 changed, 0 removed" in sphinx_log
    read = re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", sphinx_log)
    assert read == ["beta"], sphinx_log


def test_a_build_keeps_one_stored_notebook_per_page() -> None:
    book = built_book()
    book.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)  # edited"))
    build(book)
    stored = sorted((book.build_dir / "notebooks").glob("*.ipynb"))
    texts = {path.read_text("utf-8") for path in book.docs.glob("*/*.md")}
    assert len(stored) == len(texts) == 3  # the twins' texts are the same here
    assert any("# edited" in path.read_text("utf-8") for path in stored)


def test_an_edited_template_is_compiled_again(book: SmallBook) -> None:
    """The cold build kept each book's compiled templates (compiled_templates.py);
    a rebuild after a template's edit shows the edit, not the kept compilation."""
    for language in BOOKS:
        kept = book.build_dir / "doctrees" / language / FOLDER
        assert len(list(kept.rglob("*.cache"))) >= 5, language
    template = book.docs / "_templates" / "components" / "view-this-page.html"
    marker = '<span class="template-edit-marker"></span>'
    template.write_text(marker + template.read_text(encoding="utf-8"), "utf-8")
    build(book)
    for language in BOOKS:
        assert marker in book.html(language, "alpha"), language


def test_formulas_stay_out_of_the_search_index_and_unmarked(book: SmallBook) -> None:
    """TeX is not indexed as words (search_text.py), and the class that keeps
    it out of the index is not written into the pages."""
    formulas = "\nInline $\\mathbf{zqz}$.\n\n$$\\left( qzq \\right)$$\n"
    book.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)") + formulas)
    build(book)
    for language in BOOKS:
        terms = set(parsed(search_index(book, language))["terms"])  # type: ignore[arg-type]
        assert "prose" in terms and "alpha" in terms, language
        assert not {"mathbf", "zqz", "left", "qzq", "right"} & terms, language
        html = book.html(language, "alpha")
        assert html.count('class="math notranslate') == 3, language
        assert "no-search" not in html, language


def test_a_change_to_the_engine_rewrites_every_page(book: SmallBook) -> None:
    """Sphinx re-reads pages whose source changed, not those an extension's
    code shapes: the engine's digest is part of the configuration."""

    def written() -> dict[str, int]:
        pages = (book.build_dir / "html").glob("*/*.html")
        return {
            p.relative_to(book.build_dir).as_posix(): p.stat().st_mtime_ns
            for p in pages
        }

    before = written()
    extension = book.engine / "sphinxext" / "search_text.py"
    extension.write_text(
        extension.read_text(encoding="utf-8") + "\n# edited\n", "utf-8"
    )
    build(book)
    after = written()
    kept = sorted(name for name in before if after.get(name) == before[name])
    assert kept == [], "pages the new engine did not write"
