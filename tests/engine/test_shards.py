"""Execution spread over machines: ``execute --shard``, ``merge``, ``build --cached-only``.

Two copies of the small book each execute one shard, as two CI runners do;
a third merges their caches and builds with ``--cached-only``; its site is
byte-identical to a fourth copy's ordinary one-machine build.  Each copy
lives in its own folder, so a page that showed an absolute path would differ.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from d2l_book.shard import parse_shard, split
from tests.book import files
from tests.engine.engine_book import INDEX, SmallBook, page

Shards = tuple[SmallBook, SmallBook, list[str]]


def run(book: SmallBook, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m d2l_book ARGS`` in the book's copy of the engine."""
    return subprocess.run(
        [sys.executable, "-m", "d2l_book", *args],
        env=book.env(),
        cwd=book.root,
        capture_output=True,
        text=True,
        timeout=600,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def cache_of(book: SmallBook) -> Path:
    """What a CI artifact of ``docs/_build/.jupyter_cache`` holds, for this copy."""
    return book.build_dir / ".jupyter_cache"


def three_pages(root: Path) -> SmallBook:
    """The small book with a third page of code (alpha, beta, gamma)."""
    root.mkdir(exist_ok=True)
    book = SmallBook(root)
    book.write("gamma.md", page("Gamma", "print('gamma', 3 * 3)"))
    book.write("index.md", INDEX.replace("beta\n", "beta\ngamma\n"))
    return book


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Shards:
    """Two copies of the small book, each having executed one of two shards,
    and the first line each said."""
    executed, lines = [], []
    for number in (1, 2):
        book = three_pages(tmp_path_factory.mktemp(f"shard{number}"))
        result = run(book, "execute", "--shard", f"{number}/2")
        assert result.returncode == 0, said(result)
        executed.append(book)
        lines.append(result.stdout.splitlines()[0])
    return executed[0], executed[1], lines


def test_two_shards_merged_build_the_site_of_one_machine(
    shards: Shards, tmp_path: Path
) -> None:
    first, second, lines = shards
    # Both books' pages of a name are in one shard, each name in exactly one.
    assert lines == [
        "shard 1/2: 2 page(s): beta, index",
        "shard 2/2: 2 page(s): alpha, gamma",
    ]
    merged = three_pages(tmp_path / "merged")
    empty = run(merged, "build", "--cached-only")
    assert empty.returncode == 1, said(empty)
    for name in ("alpha", "beta", "gamma"):
        for book in ("en", "zh"):
            assert f"docs/{book}/{name}.md" in empty.stderr, empty.stderr
    assert "executed " not in empty.stdout, "--cached-only started a kernel"
    result = run(merged, "merge", str(cache_of(first)), str(cache_of(second)))
    assert result.returncode == 0, said(result)
    built = run(merged, "build", "--cached-only")
    assert built.returncode == 0, said(built)
    assert "executed " not in built.stdout, built.stdout
    alone = three_pages(tmp_path / "alone")
    assert alone.build().returncode == 0
    ours, theirs = (files(b.build_dir / "html") for b in (merged, alone))
    assert sorted(ours) == sorted(theirs)
    differ = [name for name in ours if ours[name] != theirs[name]]
    assert differ == [], f"pages that differ from a one-machine build: {differ}"


def test_merge_refuses_a_cache_of_another_key(shards: Shards, tmp_path: Path) -> None:
    (key,) = (p.name for p in cache_of(shards[0]).iterdir() if p.is_dir())
    other = tmp_path / "download" / "0123456789abcdef"
    shutil.copytree(cache_of(shards[0]) / key, other)
    target = three_pages(tmp_path / "merged")
    result = run(target, "merge", str(other.parent))
    assert result.returncode == 1
    assert "0123456789abcdef" in result.stderr and key in result.stderr, result.stderr
    assert "refusing" in result.stderr
    assert not (target.build_dir / ".jupyter_cache").exists(), "merged anyway"
    lost = run(target, "merge", str(tmp_path))
    assert lost.returncode == 1 and "holds no execution cache" in lost.stderr


def test_merge_skips_a_damaged_notebook_and_names_it(
    shards: Shards, tmp_path: Path
) -> None:
    download = tmp_path / "download"
    shutil.copytree(cache_of(shards[1]), download)
    notebooks = sorted(download.glob("*/executed/*/base.ipynb"))
    assert len(notebooks) >= 2, notebooks
    notebooks[0].write_text(notebooks[0].read_text("utf-8")[:40], "utf-8")
    target = three_pages(tmp_path / "merged")
    result = run(target, "merge", str(download))
    assert result.returncode == 1, said(result)
    assert "is not JSON" in result.stderr and "skipped" in result.stderr
    assert f"{len(notebooks) - 1} notebook(s) merged" in result.stdout, result.stdout
    # The merged cache is sound: a build opens it without dropping a record.
    check = run(target, "build", "--cached-only")
    assert "dropping it" not in check.stderr, check.stderr


def test_merge_refuses_a_damaged_database(shards: Shards, tmp_path: Path) -> None:
    download = tmp_path / "download"
    shutil.copytree(cache_of(shards[0]), download)
    (database,) = download.glob("*/global.db")
    database.write_bytes(b"not a database" * 100)
    target = three_pages(tmp_path / "merged")
    result = run(target, "merge", str(cache_of(shards[1])), str(download))
    assert result.returncode == 1
    assert f"the execution cache {database.parent} is damaged" in result.stderr
    assert not (target.build_dir / ".jupyter_cache").exists(), "merged anyway"


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1/0", "2", "a/b", "-1/2", ""])
def test_a_shard_outside_one_to_n_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="I/N"):
        parse_shard(bad)


def test_the_cli_names_a_bad_shard(tmp_path: Path) -> None:
    result = run(SmallBook(tmp_path), "execute", "--shard", "3/2")
    assert result.returncode == 2
    assert "1 <= I <= N" in result.stderr, result.stderr


def test_split_is_balanced_and_deterministic() -> None:
    costs = {"a": 50, "b": 40, "c": 30, "d": 20, "e": 10, "f": 0}
    assert split(costs, 2) == [["a", "d", "e"], ["b", "c", "f"]]
    assert split(costs, 1) == [sorted(costs)]
    assert split(costs, 8)[6:] == [[], []]
    shards = split(costs, 3)
    assert sorted(n for s in shards for n in s) == sorted(costs)
    assert split(dict(reversed(costs.items())), 3) == shards
    with pytest.raises(ValueError, match="positive int"):
        split(costs, 0)
