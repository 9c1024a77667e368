"""Each page's footer gives the date of its last commit, never the build's time.

d2l_book/sphinxext/last_changed.py: ``git log -1 --format=%cs -- <page>``; no date for
an uncommitted page, and none (and no error) outside a git checkout.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from d2l_book.sphinxext.last_changed import page_dates
from tests.engine.engine_book import SmallBook, built_book

DAY = "2026-03-04"


def git(folder: Path, *args: str, day: str = DAY) -> None:
    """Run git in ``folder`` as a fixed author, committing on ``day``."""
    stamp = f"{day}T12:00:00+00:00"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )


def test_dates_come_from_the_last_commit_of_each_page(tmp_path: Path) -> None:
    book = tmp_path / "docs" / "en"
    book.mkdir(parents=True)
    names = ["a.md", "b.md", "c.md", "d.md"]
    assert page_dates(book, names) == {}  # not a git checkout: no date, no error
    git(tmp_path, "init", "-q")
    for name in ("a.md", "b.md", "c.md"):
        (book / name).write_text(f"# {name}\n", encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "pages")
    (book / "b.md").write_text("# b, again\n", encoding="utf-8")
    git(tmp_path, "commit", "-q", "-am", "b again", day="2026-05-06")
    (book / "c.md").write_text("# c, being edited\n", encoding="utf-8")
    (book / "d.md").write_text("# d, new\n", encoding="utf-8")
    assert page_dates(book, names) == {"a.md": DAY, "b.md": "2026-05-06"}


def footer(book: SmallBook, name: str, page: str = "alpha") -> str:
    html = book.html(name, page)
    start = html.find('class="last-updated"')
    return (
        ""
        if start < 0
        else html[html.index(">", start) + 1 : html.index("</div>", start)].strip()
    )


@pytest.mark.build
def test_the_footer_shows_the_date_in_the_books_language() -> None:
    book = built_book()  # built outside any git checkout: no date, no error
    assert footer(book, "en") == footer(book, "zh") == ""

    (book.root / ".gitignore").write_text("build/\nruntime/\ntmp/\n", encoding="utf-8")
    git(book.root, "init", "-q")
    git(book.root, "add", ".")
    git(book.root, "commit", "-q", "-m", "the small book")
    result = book.build()  # no source changed: the dates alone rewrite the pages
    assert result.returncode == 0, result.stdout + result.stderr
    assert footer(book, "en") == f"Last updated on {DAY}"
    assert footer(book, "zh") == f"最后修改于 {DAY}"

    alpha = book.docs / "en" / "alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\nMore.\n", "utf-8")
    result = book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert footer(book, "en") == ""  # changed since its commit: no date yet
    assert footer(book, "en", "beta") == f"Last updated on {DAY}"
