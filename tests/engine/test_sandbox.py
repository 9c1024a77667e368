"""Each kernel is confined (d2l_book/execution/sandbox.py) and limited (D2L_* settings).

A cell may write only in its working folder (also its ``TMPDIR``) and the
folders the build gives it; a write elsewhere fails the build naming the page,
the cell and the path, and writes nothing.  A memory hog and a slow cell fail
naming their limit and its setting.  Built on the small book of engine_book.py.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest

from d2l_book import settings
from d2l_book.execution import sandbox
from tests.engine.engine_book import HEADER, SmallBook, page

confined = pytest.mark.skipif(not sandbox.abi(), reason="no Landlock here")

# Where beta.md's first code cell is named in an error report.
FIRST_CELL = "docs/en/beta.md:12 (code cell 1)"


def _outside(book: SmallBook, where: str) -> tuple[str, Path]:
    """(the path a cell writes to, the file it would be) for each place."""
    name = f"escape-{uuid.uuid4().hex}"
    if where == "parent":  # the working folder is <book.tmp>/d2l-prep-exec-*
        return f"../../{name}", book.root / name
    if where == "tmp":
        return f"/tmp/{name}", Path("/tmp") / name
    if where == "home":
        return str(Path.home() / name), Path.home() / name
    target = book.docs / "en" / f"{name}.md"
    return str(target), target


@confined
@pytest.mark.parametrize("where", ["parent", "tmp", "home", "docs"])
def test_a_write_outside_the_folder_fails_naming_page_cell_and_path(
    book: SmallBook, where: str
) -> None:
    path, target = _outside(book, where)
    book.write("beta.md", page("Beta", f"open({path!r}, 'w').write('x')"))
    result = book.build()
    assert result.returncode == 1
    assert FIRST_CELL in result.stderr
    assert f"PermissionError: [Errno 13] Permission denied: {path!r}" in result.stderr
    assert f"writing {path}" in result.stderr
    assert str(target) in result.stderr  # a relative path is also resolved
    assert not target.exists()


@confined
def test_a_subprocess_is_confined_too(book: SmallBook) -> None:
    path, target = _outside(book, "tmp")
    cell = f"import subprocess\nsubprocess.run(['touch', {path!r}], check=True)"
    book.write("beta.md", page("Beta", cell))
    result = book.build()
    assert result.returncode == 1
    assert "CalledProcessError" in result.stderr
    assert not target.exists()


def test_writes_in_the_working_folder_and_tmpdir_work(book: SmallBook) -> None:
    cell = (
        "import os, pathlib, subprocess, tempfile\n"
        "pathlib.Path('data').mkdir()\n"
        "pathlib.Path('data/a.csv').write_text('1,2')\n"
        "subprocess.run(['sh', '-c', 'echo 3 > data/b.txt'], check=True)\n"
        "with tempfile.NamedTemporaryFile('w', suffix='.tmp') as file:\n"
        "    file.write('x')\n"
        "    inside = os.path.dirname(file.name) == os.getcwd()\n"
        "subprocess.run(['echo', 'quiet'], stdout=subprocess.DEVNULL, check=True)\n"
        "print('tmp', inside, os.environ['TMPDIR'] == os.getcwd())\n"
        "print('read', open('data/a.csv').read(), open('data/b.txt').read().strip())"
    )
    book.write("beta.md", page("Beta", cell))
    result = book.build("en")
    assert result.returncode == 0, result.stderr[-3000:]
    html = book.html("en", "beta")
    assert "tmp True True" in html
    assert "read 1,2 3" in html


@pytest.mark.parametrize(
    ("hog", "error"),
    [
        ("hog = bytearray(3 * 2**30)", "MemoryError"),
        (
            "import torch\nhog = torch.ones(3 * 2**30, dtype=torch.uint8)",
            "DefaultCPUAllocator: can't allocate memory",
        ),
    ],
)
def test_a_memory_hog_fails_naming_the_limit_and_its_setting(
    book: SmallBook, hog: str, error: str
) -> None:
    book.write("beta.md", page("Beta", hog))
    start = time.monotonic()
    result = book.build(D2L_KERNEL_MEMORY="1.5")
    assert result.returncode == 1
    assert FIRST_CELL in result.stderr
    assert error in result.stderr
    assert "the kernel's limit is 1.5 GiB (D2L_KERNEL_MEMORY)" in result.stderr
    assert time.monotonic() - start < 120  # refused at once, not swapped


def test_a_slow_cell_fails_naming_d2l_cell_timeout(book: SmallBook) -> None:
    book.write("beta.md", page("Beta", "import time\ntime.sleep(120)"))
    result = book.build(D2L_CELL_TIMEOUT="2")
    assert result.returncode == 1
    assert f"{FIRST_CELL}: the cell timed out" in result.stderr
    assert "the limit is 2 s per cell (D2L_CELL_TIMEOUT)" in result.stderr


def test_a_page_sets_its_own_timeout(book: SmallBook) -> None:
    own = HEADER.replace(
        "file_format: mystnb\n",
        "file_format: mystnb\nmystnb:\n  execution_timeout: 2\n",
    )
    text = page("Beta", "import time\ntime.sleep(120)").replace(HEADER, own)
    book.write("beta.md", text)
    result = book.build("en")
    assert result.returncode == 1
    assert "docs/en/beta.md" in result.stderr and "timed out" in result.stderr
    assert "2 s per cell (this page's mystnb.execution_timeout)" in result.stderr


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("D2L_CELL_TIMEOUT", settings.cell_timeout),
        ("D2L_KERNEL_MEMORY", settings.kernel_memory),
    ],
)
@pytest.mark.parametrize("bad", ["zero", "0", "-3", "inf"])
def test_a_bad_limit_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, read: object, bad: str
) -> None:
    monkeypatch.setenv(name, bad)
    with pytest.raises(ValueError, match=f"{name} must be a positive"):
        read()  # type: ignore[operator]
    monkeypatch.delenv(name)
    assert read() > 0  # type: ignore[operator]


def test_every_setting_is_read_in_settings_only() -> None:
    """``d2l_book/settings.py`` is the one place a D2L_* variable is read."""
    pattern = re.compile(r"environ(?:\.get)?[\[(]\s*[\"']D2L_|getenv\([\"']D2L_")
    readers = [
        path.relative_to(settings.ROOT).as_posix()
        for folder in (settings.DOCS, settings.ROOT / "d2l_book")
        for path in sorted(folder.rglob("*.py"))
        if "_build" not in path.parts and pattern.search(path.read_text("utf-8"))
    ]
    assert readers == ["d2l_book/settings.py"]


def test_without_landlock_the_build_says_once_that_cells_are_free(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sandbox, "abi", lambda: 0)
    monkeypatch.setattr(sandbox, "_said", [])
    assert sandbox.confine(["/nowhere"]) is False  # nothing to apply
    sandbox.say_unconfined()
    sandbox.say_unconfined()
    err = capsys.readouterr().err
    assert err.count("cells may write outside their working folder") == 1


@confined
@pytest.mark.parametrize("executor", ["fork", "launch"])
def test_both_kinds_of_kernel_are_confined_and_limited(
    book: SmallBook, executor: str
) -> None:
    path, target = _outside(book, "tmp")
    cell = (
        "import resource\n"
        "try:\n"
        f"    open({path!r}, 'w')\n"
        "except PermissionError as error:\n"
        "    print('refused', error.filename)\n"
        "print('limit', resource.getrlimit(resource.RLIMIT_DATA)[0] == 2**30)\n"
        "import os, pathlib\n"
        "from ipykernel import get_connection_file\n"
        "private = pathlib.Path(get_connection_file()).parent\n"
        "for name in ('IPYTHONDIR', 'XDG_CACHE_HOME'):\n"
        "    (pathlib.Path(os.environ[name]) / 'probe').write_text(name)\n"
        "    print(name, pathlib.Path(os.environ[name]).parent == private)\n"
        "shared = pathlib.Path(os.environ['D2L_BUILD_DIR'], 'kernel-matplotlib')\n"
        "print('matplotlib', pathlib.Path(os.environ['MPLCONFIGDIR']) == shared)\n"
        "try:\n"
        "    (shared / 'probe').write_text('x')\n"
        "except PermissionError as error:\n"
        "    print('read-only', error.filename)\n"
    )
    book.write("beta.md", page("Beta", cell))
    result = book.build("en", D2L_EXECUTOR=executor, D2L_KERNEL_MEMORY="1")
    assert result.returncode == 0, result.stderr[-3000:]
    html = book.html("en", "beta")
    assert f"refused {path}" in html
    assert "limit True" in html
    # Its own settings and caches, in its private folder (removed with it) ...
    assert "IPYTHONDIR True" in html
    assert "XDG_CACHE_HOME True" in html
    # ... and Matplotlib's shared one, which it may only read.
    assert "matplotlib True" in html
    assert re.search(r"read-only \S*/kernel-matplotlib/probe\n", html)
    assert not target.exists()


@confined
@pytest.mark.parametrize("executor", ["fork", "launch"])
def test_a_page_cannot_change_how_another_page_or_build_runs(
    book: SmallBook, executor: str
) -> None:
    """Issue 19 section 1: an IPython startup file or a Matplotlib setting
    written by one page made another page print ``victim sees 42``."""
    rc = book.build_dir / "kernel-matplotlib" / "matplotlibrc"
    attack = (
        "import os, pathlib\n"
        "startup = pathlib.Path(os.environ['IPYTHONDIR'], 'profile_default', 'startup')\n"
        "startup.mkdir(parents=True, exist_ok=True)\n"
        "(startup / '00-probe.py').write_text('probe = 42')\n"
        "rc = pathlib.Path(os.environ['MPLCONFIGDIR'], 'matplotlibrc')\n"
        "rc.write_text('lines.linewidth: 42')"
    )
    book.write("alpha.md", page("Alpha", attack))
    first = book.build("en", D2L_EXECUTOR=executor)
    assert first.returncode == 1
    assert "docs/en/alpha.md:12 (code cell 1)" in first.stderr
    assert f"writing {rc} was refused" in first.stderr
    assert not rc.exists()
    # The next build: beta runs again, in a new kernel, and sees nothing.
    book.write("alpha.md", page("Alpha", "print('alpha')"))
    victim = (
        "import matplotlib as mpl\n"
        "print('victim sees', globals().get('probe'), mpl.rcParams['lines.linewidth'])"
    )
    book.write("beta.md", page("Beta", victim))
    second = book.build("en", D2L_EXECUTOR=executor)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "victim sees None 1.5" in book.html("en", "beta")
    assert not list(book.build_dir.glob("**/00-probe.py"))


@pytest.mark.skipif(not sandbox.abi(), reason="no Landlock on this system")
def test_a_refused_rename_names_both_paths() -> None:
    """os.rename's error names two paths; the note names both, not only the first."""
    detail = "PermissionError: [Errno 13] Permission denied: 'mine.txt' -> '/tmp/x'"
    note = sandbox.permission_note(detail, "/work/f")
    assert note.startswith("moving or linking mine.txt (that is, /work/f/mine.txt)")
    assert "to /tmp/x was refused" in note
    one = "PermissionError: [Errno 13] Permission denied: '/tmp/y'"
    assert sandbox.permission_note(one, "/work/f").startswith("writing /tmp/y was")
