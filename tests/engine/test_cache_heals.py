"""The execution cache heals itself (issue 19 §5, §4), on the small book.

A damaged notebook in the cache is named, dropped and its page executed
again in the same build; the cache key covers every package that shapes an
output; caches of old keys are pruned; the temporary folders of a killed
build are removed by the next one, and never those of a live build; the
preview says when a rebuild was killed by a signal.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from d2l_book import settings
from d2l_book.execution import exec_cache
from tests.book import BOOKS
from tests.engine.engine_book import SmallBook, page


def good_build(book: SmallBook) -> str:
    result = book.build()
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    for language in BOOKS:
        assert "alpha 2" in book.html(language, "alpha")
        assert "beta 42" in book.html(language, "beta")
    return log


def alpha_notebook(book: SmallBook) -> Path:
    (cache,) = (book.build_dir / ".jupyter_cache").iterdir()
    with sqlite3.connect(cache / "global.db") as db:
        (hashkey,) = db.execute(
            "SELECT hashkey FROM nbcache WHERE uri LIKE '%alpha.md'"
        ).fetchone()
    return cache / "executed" / hashkey / "base.ipynb"


HALF = "half"
NOT_A_NOTEBOOK = '{"cells": [], "hello": "world"}\n'


@pytest.mark.parametrize(
    ("damage", "said"),
    [(HALF, "is not JSON"), (NOT_A_NOTEBOOK, "is JSON but not a notebook")],
)
def test_a_damaged_notebook_is_dropped_and_its_page_runs_again(
    built: SmallBook, damage: str, said: str
) -> None:
    book = built
    notebook = alpha_notebook(book)
    data = notebook.read_bytes()
    notebook.write_bytes(data[: len(data) // 2] if damage == HALF else damage.encode())
    book.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)") + "\nMore prose.\n")
    log = good_build(book)  # before the fix: NotJSONError, exit 2
    assert f"the record of docs/en/alpha.md has a notebook file that {said}" in log
    assert "executed docs/en/alpha.md" in log
    for language in BOOKS:
        assert "More prose." in book.html(language, "alpha")
    again = good_build(book)  # healed: nothing is said or executed again
    assert "dropping it" not in again
    assert "executed docs" not in again


def test_a_damaged_notebook_is_dropped_when_sphinx_opens_the_cache(
    built: SmallBook, capsys: pytest.CaptureFixture[str]
) -> None:
    """reread.py opens the cache this way in each Sphinx process."""
    book = built
    notebook = alpha_notebook(book)
    cache_path = notebook.parents[2]
    _, sound = exec_cache.open_cache(cache_path)
    assert notebook.parent.name in sound
    notebook.write_bytes(notebook.read_bytes()[:100])
    _, sound = exec_cache.open_cache(cache_path)
    assert notebook.parent.name not in sound
    assert not notebook.parent.exists()
    assert "alpha.md has a notebook file that is not JSON" in capsys.readouterr().err


def test_a_checked_notebook_is_not_validated_again_until_it_changes(
    tmp_path: Path,
) -> None:
    import nbformat

    notebook = tmp_path / "base.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    notebook.write_text(nbformat.writes(nb), encoding="utf-8")
    assert exec_cache.damage(notebook) == ""
    assert (tmp_path / exec_cache.CHECKED_NAME).is_file()
    notebook.write_text("{", encoding="utf-8")  # another size: checked again
    assert "is not JSON" in exec_cache.damage(notebook)


def test_the_cache_key_covers_the_packages_that_shape_outputs() -> None:
    inputs = settings.execution_inputs()
    for name in ("ipython", "matplotlib-inline", "pillow", "pygments"):
        assert name in settings.KEY_PACKAGES
        assert inputs[name] != "absent", name
        changed = {**inputs, name: inputs[name] + ".post1"}
        assert settings.execution_key(changed) != settings.execution_key(inputs), name


def test_old_caches_are_pruned_keeping_the_newest(tmp_path: Path) -> None:
    folder = tmp_path / ".jupyter_cache"
    names = ["k0", "k1", "k2", "k3", "k4"]
    now = time.time()
    for age, name in enumerate(names):
        (folder / name).mkdir(parents=True)
        os.utime(folder / name, (now - 100 * age, now - 100 * age))
    current = folder / "k4"  # the oldest, but the one in use
    removed = exec_cache.prune_caches(folder, current, keep=3)
    assert sorted(p.name for p in removed) == ["k2", "k3"]
    assert sorted(p.name for p in folder.iterdir()) == ["k0", "k1", "k4"]
    with pytest.raises(ValueError, match="keep must be a positive int"):
        exec_cache.prune_caches(folder, current, keep=0)


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_build_prunes_old_caches_and_stale_temporary_folders(
    built: SmallBook,
) -> None:
    book = built  # its cache of the current key is the newest
    old = book.build_dir / ".jupyter_cache"
    for age, name in enumerate(["old0", "old1", "old2", "old3"]):
        (old / name).mkdir(parents=True)
        os.utime(old / name, (time.time() - 100 * (age + 1),) * 2)
    dead, live = dead_pid(), os.getpid()
    stale = [
        book.tmp / f"d2l-kernel-{dead}-abcd1234",
        book.tmp / f"d2l-prep-exec-{dead}-x_yz9876",
    ]
    kept = [
        book.tmp / f"d2l-kernel-{live}-abcd1234",  # a live build's
        book.tmp / f"d2l-prep-exec-{live}-efgh5678",
        book.tmp / "d2l-kernel-abcd1234",  # no owner named: never removed
    ]
    for folder in stale + kept:
        folder.mkdir()
        (folder / "kernel.json").write_text("{}", encoding="utf-8")
    log = good_build(book)
    assert "removed the temporary folders of a killed build" in log
    assert [p for p in stale if p.exists()] == []
    assert all(p.is_dir() for p in kept)
    for folder in stale:
        assert str(folder) in log
    assert "removed the execution caches of old keys" in log
    left = sorted(p.name for p in old.iterdir())
    assert left == sorted(["old0", "old1", settings.execution_key()])
    for folder in kept:
        (folder / "kernel.json").unlink()
        folder.rmdir()
    assert book.leftover_files() == []  # the build's own folders are gone too


def test_a_killed_preview_rebuild_says_so(tmp_path: Path) -> None:
    from d2l_book import serve as preview

    def killed() -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0

    code = preview.fork_rebuild(
        killed, signal.SIG_DFL, [], [], tmp_path / "rebuild.stderr"
    )
    assert code == -signal.SIGKILL
    said = preview.rebuild_failure(code)
    assert "the rebuild was killed by signal SIGKILL" in said
    assert "failed" not in said
    assert preview.rebuild_failure(1).startswith("the build failed (see above)")


def test_the_folders_of_a_build_killed_by_sigkill_are_swept(book: SmallBook) -> None:
    """A real kill: its kernel's folders stay, and the next build removes them."""
    for name in ("alpha.md", "beta.md"):  # each kernel keeps its folders
        book.write(name, page(name, "import time\ntime.sleep(600)"))
    build = book.start()
    deadline = time.monotonic() + 300  # only keeps a broken build from hanging
    while not list(book.tmp.glob("d2l-prep-exec-*")) and time.monotonic() < deadline:
        assert build.poll() is None, build.communicate()
        time.sleep(0.1)
    left = sorted(book.tmp.iterdir())
    assert left and all(f"-{build.pid}-" in p.name for p in left), left
    build.kill()
    build.communicate()
    deadline = time.monotonic() + 60  # its kernel sees its parent gone and exits
    while book.leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert book.leftover_processes() == []
    assert all(p.exists() for p in left)
    book.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)"))
    book.write("beta.md", page("Beta", "x = 21", "print('beta', 2 * x)"))
    log = good_build(book)
    assert "removed the temporary folders of a killed build" in log
    for folder in left:
        assert str(folder) in log
    assert book.leftover_files() == []


def test_sphinx_alone_drops_a_damaged_notebook_before_myst_nb_reads_it(
    built: SmallBook,
) -> None:
    """Without the execution step (a plain sphinx-build), reread.py heals it."""
    book = built
    notebook = alpha_notebook(book)
    notebook.write_bytes(notebook.read_bytes()[:100])
    book.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)") + "\nMore prose.\n")
    build = book.build_dir
    command = ["-b", "html", "-c", "docs", "-d", str(build / "doctrees" / "en")]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            *command,
            "docs/en",
            str(build / "html" / "en"),
        ],
        cwd=book.root,
        env=book.env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]  # before: NotJSONError, exit 2
    assert "the record of docs/en/alpha.md has a notebook file that is not JSON" in log
    html = book.html("en", "alpha")
    assert "More prose." in html and "alpha 2" in html
    assert book.leftover_processes() == []
