"""After every build the site holds exactly what a cold build would write.

A deleted page leaves the site (HTML, notebook, source copy, its figures and
the sitemap), files put into the site by hand are removed and named, and a
build that runs Sphinx again writes the same bytes as the cold build before it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tests.book import files
from tests.engine.engine_book import INDEX, SmallBook, built_book, page

pytestmark = pytest.mark.build

FIGURE = "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]);"


def test_a_rebuild_writes_what_the_cold_build_wrote() -> None:
    """Sphinx run again (a page touched) writes that page, the index pages and
    the 404 page again: with the bytes of the cold build."""
    book = built_book()
    cold = files(book.build_dir / "html")
    for name in ("en", "zh"):
        os.utime(book.docs / name / "alpha.md")
    result = book.build()
    assert "build succeeded" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    again = files(book.build_dir / "html")
    assert sorted(again) == sorted(cold)
    differ = [name for name in cold if cold[name] != again[name]]
    assert differ == []


def test_the_site_holds_only_what_the_sources_make(tmp_path: Path) -> None:
    book = SmallBook(tmp_path)
    book.write("beta.md", page("Beta", "x = 21", FIGURE))
    assert book.build().returncode == 0
    html = book.build_dir / "html"
    assert list((html / "en" / "_images").iterdir())
    planted = [html / "en" / "planted.html", html / "zh" / "notes.txt", html / "x.txt"]
    for path in planted:
        path.write_text("put here by hand", encoding="utf-8")
    for name in ("en", "zh"):
        (book.docs / name / "beta.md").unlink()
    book.write("index.md", INDEX.replace("beta\n", ""))

    result = book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    for path in planted:
        assert not path.exists()
        assert path.relative_to(html).as_posix() in result.stdout
    for name in ("en", "zh"):
        assert not (html / name / "beta.html").exists()
        assert not (html / name / "beta.ipynb").exists()
        assert not list((html / name / "_sources").glob("beta.*"))
        assert not list((html / name / "_images").glob("*"))
    assert "beta" not in (html / "sitemap.xml").read_text(encoding="utf-8")
    for name in ("en", "zh"):  # nor in the book's notebooks zip
        with zipfile.ZipFile(html / "pdf" / f"d2l-prep-{name}-notebooks.zip") as zipped:
            assert not [n for n in zipped.namelist() if "beta" in n], zipped.namelist()

    (tmp_path / "cold").mkdir()
    cold = SmallBook(tmp_path / "cold")
    for name in ("en", "zh"):
        (cold.docs / name / "beta.md").unlink()
    cold.write("index.md", INDEX.replace("beta\n", ""))
    assert cold.build().returncode == 0
    assert sorted(files(html)) == sorted(files(cold.build_dir / "html"))
