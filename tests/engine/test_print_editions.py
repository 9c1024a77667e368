"""The print editions: linked only while in the site, kept only while current.

``nox -s pdf`` copies each book's PDF into the site's ``pdf/`` folder with a
record of its sources (d2l_book/print_editions.py); the pages link a PDF only
while the site holds it, and a build after a change to its sources removes it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from d2l_book import print_editions
from tests.book import DOCS
from tests.engine.engine_book import HEADER, INDEX, SmallBook, built_book

# The small book's home page, with its print edition's link as the real one has.
HOME = (
    INDEX
    + """
```{raw} html
<p data-print-edition="d2l-prep-BOOK.pdf" hidden><a href="../pdf/d2l-prep-BOOK.pdf" class="pdf-edition">PDF</a></p>
```
"""
)


def shown_pdfs(page: Path) -> set[str]:
    """The PDFs a page links from no hidden element."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return {
        Path(a["href"]).name
        for a in soup.find_all("a", href=True)
        if a["href"].endswith(".pdf")
        and not any(e.has_attr("hidden") for e in [a, *a.parents])
    }


def test_links_follow_the_pdfs_in_the_site(tmp_path: Path) -> None:
    shutil.copy2(DOCS / "_landing" / "index.html", tmp_path / "index.html")
    assert print_editions.show_links(tmp_path) == []  # the source hides them
    assert shown_pdfs(tmp_path / "index.html") == set()
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "d2l-prep-zh.pdf").write_bytes(b"%PDF-1.5\n")
    assert print_editions.show_links(tmp_path) == [tmp_path / "index.html"]
    assert shown_pdfs(tmp_path / "index.html") == {"d2l-prep-zh.pdf"}
    assert print_editions.show_links(tmp_path) == []  # nothing left to change
    (tmp_path / "pdf" / "d2l-prep-zh.pdf").unlink()
    print_editions.show_links(tmp_path)
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert text == (DOCS / "_landing" / "index.html").read_text(encoding="utf-8")


def test_a_book_name_is_checked() -> None:
    with pytest.raises(ValueError, match="book must be one of"):
        print_editions.sources_digest("fr")


def publish_stand_ins(book: SmallBook) -> None:
    """Put a stand-in PDF where LaTeX writes each book's, and publish it as pdf.py does."""
    for name in ("en", "zh"):
        latex = book.build_dir / "latex" / name
        latex.mkdir(parents=True, exist_ok=True)
        (latex / f"d2l-prep-{name}.pdf").write_bytes(f"%PDF-1.5 {name}\n".encode())
    code = (
        "from d2l_book import pdf\nfor name in ('en', 'zh'):\n    pdf.publish(name)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=book.env(),
        cwd=book.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.build
def test_a_pdf_leaves_the_site_when_its_sources_change(tmp_path: Path) -> None:
    book = SmallBook(tmp_path)
    for name in ("en", "zh"):
        book.write("index.md", HOME.replace("BOOK", name), books=(name,))
    result = book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    html = book.build_dir / "html"
    assert "note: no page links pdf/d2l-prep-en.pdf" in result.stdout
    assert shown_pdfs(html / "index.html") == set()
    assert shown_pdfs(html / "en" / "index.html") == set()

    publish_stand_ins(book)  # the pages link them at once, no build needed
    both = {"d2l-prep-en.pdf", "d2l-prep-zh.pdf"}
    assert shown_pdfs(html / "index.html") == both
    assert shown_pdfs(html / "en" / "index.html") == {"d2l-prep-en.pdf"}
    (html / "pdf" / "notes.txt").write_text("put here by hand", encoding="utf-8")

    result = book.build()  # nothing changed: the PDFs stay, linked
    assert result.returncode == 0, result.stdout + result.stderr
    assert shown_pdfs(html / "index.html") == both
    assert "pdf/notes.txt" in result.stdout
    assert not (html / "pdf" / "notes.txt").exists()
    assert "removed pdf/d2l-prep" not in result.stdout

    beta = (book.docs / "en" / "beta.md").read_text(encoding="utf-8")
    assert beta.startswith(HEADER)
    book.write("beta.md", beta + "\nOne more sentence.\n", books=("en",))
    result = book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "removed pdf/d2l-prep-en.pdf from the site: its sources changed" in (
        result.stdout
    )
    assert not (html / "pdf" / "d2l-prep-en.pdf").exists()
    assert (html / "pdf" / "d2l-prep-zh.pdf").exists()  # its sources are unchanged
    assert shown_pdfs(html / "index.html") == {"d2l-prep-zh.pdf"}
    assert shown_pdfs(html / "en" / "index.html") == set()
    assert shown_pdfs(html / "zh" / "index.html") == {"d2l-prep-zh.pdf"}


@pytest.mark.build
def test_a_pdf_no_record_vouches_for_is_removed() -> None:
    book = built_book()
    html = book.build_dir / "html"
    publish_stand_ins(book)
    (html / "pdf" / "d2l-prep-zh.pdf").write_bytes(b"%PDF-1.5 put by hand\n")
    result = book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "removed pdf/d2l-prep-zh.pdf from the site: `nox -s pdf` did not" in (
        result.stdout
    )
    assert not (html / "pdf" / "d2l-prep-zh.pdf").exists()
    assert (html / "pdf" / "d2l-prep-en.pdf").exists()
    assert shown_pdfs(html / "index.html") == {"d2l-prep-en.pdf"}
