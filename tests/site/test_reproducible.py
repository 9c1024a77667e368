"""Two cold builds of the book give byte-identical sites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.book import ROOT, digests, run_build
from tests.site.conftest import cold_site

pytestmark = pytest.mark.build

_ADDRESS = re.compile(r"\bat 0x[0-9a-f]{6,}")


def cold_build(build_dir: Path) -> Path:
    result = run_build(build_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return build_dir / "html"


def test_two_cold_builds_are_identical(built_site: Path, tmp_path: Path) -> None:
    """A cold build gives the bytes of another cold build of the same sources.

    The other is the session's own build when that one was cold (a fresh
    clone, as in CI), else a second one made here.
    """
    first = cold_site or digests(cold_build(tmp_path / "first"))
    second = digests(cold_build(tmp_path / "second"))
    assert sorted(first) == sorted(second), "the two builds made different files"
    differ = [name for name in first if first[name] != second[name]]
    assert differ == [], f"files that differ between two cold builds: {differ[:20]}"


def test_pages_show_no_memory_address_or_build_path(built_site: Path) -> None:
    home = str(Path.home())
    for page in sorted(built_site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not _ADDRESS.search(text), f"{page.name} shows a memory address"
        for path in (str(ROOT), home, "/tmp/", "site-packages"):
            assert path not in text, (
                f"{page.relative_to(built_site)} shows the path {path!r}"
            )
