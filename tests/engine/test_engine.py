"""The build engine under faults, on a small throw-away book (see engine_book.py).

Each test builds two short pages per language in a temporary folder: a dead
kernel, a cell that ignores SIGTERM, a damaged cache, an interrupted build and
two builds at once must each end in a named failure or a correct build, with
no process and no connection file left behind.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from d2l_book import settings
from d2l_book.ports import free_port
from tests.book import BOOKS
from tests.engine.engine_book import SmallBook, cold_build_log, page


@pytest.fixture
def book(tmp_path: Path) -> SmallBook:
    """A fresh copy of the small book, never built: these tests start cold
    (conftest.py's ``book`` is the built one)."""
    return SmallBook(tmp_path)


def assert_clean(book: SmallBook) -> None:
    assert book.leftover_processes() == []
    assert book.leftover_files() == []


def assert_good_build(book: SmallBook, alpha: str = "alpha 2", **env: str) -> str:
    result = book.build(**env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for language in BOOKS:
        assert alpha in book.html(language, "alpha")
        assert "beta 42" in book.html(language, "beta")
    return result.stdout + result.stderr


def executed(log: str) -> list[str]:
    return re.findall(r"^executed (\S+) in", log, flags=re.MULTILINE)


def test_a_cold_build_then_a_no_op_build(built: SmallBook) -> None:
    # The cold build ran under FORCE_COLOR (set by CI services, nox, some
    # terminals), which colours no line.
    log, book = cold_build_log(), built
    for language in BOOKS:
        assert "alpha 2" in book.html(language, "alpha")
        assert "beta 42" in book.html(language, "beta")
    assert sorted(executed(log)) == ["docs/en/alpha.md", "docs/en/beta.md"]
    assert len(log.splitlines()) < 60, f"a cold build says too much:\n{log}"
    assert "\x1b[" not in log and "en: build succeeded." in log, log

    def written() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in book.build_dir.rglob("*.html")}

    site = written()
    quiet = assert_good_build(book)
    # Nothing changed: nothing executes, no Sphinx starts, no file is written.
    assert "nothing changed since the last build" in quiet, quiet
    assert executed(quiet) == [] and "build succeeded" not in quiet, quiet
    assert written() == site
    # One page touched: Sphinx runs and reads that page alone; the configuration
    # ends each build as it began (stable_config.py), so Sphinx sees no change
    # of it and leaves no .buildinfo.bak to prune.
    for language in BOOKS:
        os.utime(book.docs / language / "beta.md")
    quiet = assert_good_build(book)
    assert executed(quiet) == []
    for language in BOOKS:
        sphinx_log = (book.build_dir / f"sphinx-{language}.log").read_text("utf-8")
        assert "configuration has changed" not in sphinx_log, sphinx_log
        assert "0 added, 1 changed, 0 removed" in sphinx_log, sphinx_log
    assert "buildinfo" not in quiet, quiet
    assert list(book.build_dir.rglob(".buildinfo.bak")) == []
    assert_clean(book)


def test_a_dead_kernel_fails_the_build_naming_the_page(book: SmallBook) -> None:
    book.write("beta.md", page("Beta", "import os\nos._exit(1)"))
    result = book.build("--keep-going")
    assert result.returncode == 1
    assert "docs/en/beta.md" in result.stderr
    assert "kernel died (exited with status 1)" in result.stderr
    assert "Traceback" not in result.stderr
    assert_clean(book)
    # alpha succeeded and was cached: the next build executes beta only.
    book.write("beta.md", page("Beta", "x = 21", "print('beta', 2 * x)"))
    assert executed(assert_good_build(book)) == ["docs/en/beta.md"]


def test_a_failing_cell_is_named_by_its_line_without_colour(book: SmallBook) -> None:
    book.write("beta.md", page("Beta", "x = 1", "y = 2\nraise ValueError('broken')"))
    result = book.build()
    assert result.returncode == 1
    text = (book.docs / "en" / "beta.md").read_text(encoding="utf-8").splitlines()
    fence = [n for n, line in enumerate(text, 1) if "{code-cell}" in line][1]
    assert f"docs/en/beta.md:{fence} (code cell 2)" in result.stderr
    assert f"docs/en/beta.md:{fence + 2}" in result.stderr  # the raising line
    assert "ValueError: broken" in result.stderr
    assert "\x1b[" not in result.stderr
    assert not (book.build_dir / "html" / "index.html").exists(), "a site was written"
    # The zh twin was not recorded as executed: building zh alone runs it.
    again = book.build("zh")
    assert again.returncode == 1
    assert "docs/zh/beta.md" in again.stderr
    assert_clean(book)


def test_a_cell_that_ignores_sigterm_does_not_hang_the_build(built: SmallBook) -> None:
    book = built  # only the pages it writes execute
    cell = (
        "import signal, subprocess\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen(['sleep', '600'])\n"
        "while True:\n"
        "    pass"
    )
    book.write("beta.md", page("Beta", cell))
    result = book.build(D2L_CELL_TIMEOUT="5")
    assert result.returncode == 1
    assert "docs/en/beta.md" in result.stderr
    assert "timed out" in result.stderr
    assert_clean(book)  # the kernel and its `sleep` were killed


# A subprocess in a session of its own, and a daemon's orphan (its shell
# exits at once), both outside the kernel's process group.
ESCAPES = {
    "new session": "subprocess.Popen(['sleep', '600'], start_new_session=True)",
    "orphan": "subprocess.run(['setsid', 'sh', '-c', 'sleep 600 &'], check=True)",
}


@pytest.mark.parametrize(
    ("escape", "ending", "executor"),
    [
        ("new session", "page ends", "fork"),
        ("orphan", "page ends", "fork"),
        ("orphan", "kernel dies", "fork"),
        ("new session", "kernel dies", "launch"),
    ],
)
def test_a_subprocess_outside_the_kernels_group_is_stopped(
    built: SmallBook, escape: str, ending: str, executor: str
) -> None:
    book = built  # only the pages it writes execute
    cells = ["import subprocess\n" + ESCAPES[escape]]
    if ending == "kernel dies":
        cells.append("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    book.write("beta.md", page("Beta", *cells))
    result = book.build(D2L_EXECUTOR=executor)
    assert result.returncode == (0 if ending == "page ends" else 1), result.stderr
    if ending == "kernel dies":
        assert "docs/en/beta.md" in result.stderr
    assert_clean(book)  # no `sleep` outlives the build


def test_a_signal_while_an_orphan_is_stopped_does_not_cut_that_short(
    built: SmallBook,
) -> None:
    book = built  # only the pages it writes execute
    # In a session of its own, it outlives its page. On the build's SIGTERM
    # it starts a `sleep 599` and goes on, so the build waits STOP_GRACE s
    # before its SIGKILL; SIGINT comes then (Ctrl-C while the build stops it).
    script = "trap 'sleep 599 &' TERM; while :; do sleep 1 & wait; done"
    cell = (
        "import subprocess\n"
        f"subprocess.Popen(['sh', '-c', {script!r}], start_new_session=True,\n"
        "    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    )
    book.write("beta.md", page("Beta", cell))
    build = book.start()
    while build.poll() is None and not any(
        "['sleep', '599']" in p for p in book.leftover_processes()
    ):
        time.sleep(0.05)
    build.send_signal(signal.SIGINT)
    out, err = build.communicate(timeout=120)
    assert build.returncode == 130, err[-3000:]
    assert err.strip().splitlines()[-1] == "build stopped by SIGINT"
    assert_clean(book)  # the orphan was stopped all the same


def test_an_output_over_the_limit_fails_the_page(built: SmallBook) -> None:
    book = built  # only the pages it writes execute
    book.write("beta.md", page("Beta", "print('x' * 2_000_000)"))
    result = book.build()
    assert result.returncode == 1
    assert "docs/en/beta.md" in result.stderr
    assert "output too large" in result.stderr


def _cache_dir(book: SmallBook) -> Path:
    (folder,) = (book.build_dir / ".jupyter_cache").iterdir()
    return folder


def test_a_truncated_database_is_discarded(built: SmallBook) -> None:
    book = built
    database = _cache_dir(book) / "global.db"
    database.write_bytes(database.read_bytes()[:100])
    log = assert_good_build(book)
    assert "is damaged" in log
    assert sorted(executed(log)) == ["docs/en/alpha.md", "docs/en/beta.md"]
    assert executed(assert_good_build(book)) == []


def test_a_record_without_its_notebook_is_dropped(built: SmallBook) -> None:
    book = built
    with sqlite3.connect(_cache_dir(book) / "global.db") as db:
        (hashkey,) = db.execute(
            "SELECT hashkey FROM nbcache WHERE uri LIKE '%beta.md'"
        ).fetchone()
    for item in (_cache_dir(book) / "executed" / hashkey).iterdir():
        item.unlink()
    log = assert_good_build(book)
    assert "beta.md has no notebook file" in log
    assert executed(log) == ["docs/en/beta.md"]


@pytest.mark.parametrize(("signum", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_mid_build_stops_everything(
    book: SmallBook, signum: str, status: int
) -> None:
    # Both pages' kernels are mid-cell when the signal comes (each has
    # started its `sleep`: a kernel may not write a flag outside its folder).
    cell = (
        "import signal, subprocess, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen(['sleep', '600'])\n"
        "time.sleep(600)"
    )
    book.write("alpha.md", page("Alpha", cell + "  # alpha"))  # not one job
    book.write("beta.md", page("Beta", cell))
    build = book.start()
    while (
        build.poll() is None
        and sum("'sleep', '600'" in p for p in book.leftover_processes()) < 2
    ):  # alpha's and beta's
        time.sleep(0.1)
    build.send_signal(getattr(signal, signum))
    out, err = build.communicate(timeout=120)
    assert build.returncode == status, err[-3000:]
    assert err.strip().splitlines()[-1] == f"build stopped by {signum}"
    assert "ERROR" not in err and "docs/en/" not in err  # the signal blames no page
    assert "Traceback" not in err
    assert_clean(book)
    book.write("alpha.md", page("Alpha", "print('alpha', 1 + 1)"))
    book.write("beta.md", page("Beta", "x = 21", "print('beta', 2 * x)"))
    assert "docs/en/beta.md" in executed(assert_good_build(book))


def test_two_builds_at_once_share_the_cache_safely(book: SmallBook) -> None:
    first, second = book.start(), book.start()
    logs = [p.communicate(timeout=600) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], logs
    assert any("another build holds" in out for out, _ in logs)
    everything = "".join(out for out, _ in logs)
    assert sorted(executed(everything)) == ["docs/en/alpha.md", "docs/en/beta.md"]
    assert executed(assert_good_build(book)) == []
    assert_clean(book)


def test_books_that_differ_fail_before_any_kernel_starts(book: SmallBook) -> None:
    book.write("beta.md", page("Beta", "x = 22", "print('beta', 2 * x)"), ("zh",))
    book.write("gamma.md", page("Gamma", "1"), ("en",))
    result = book.build()
    assert result.returncode == 1
    assert "docs/en/gamma.md has no twin" in result.stderr
    assert "docs/en/beta.md:12 and docs/zh/beta.md:12: code cell 1 differs" in (
        result.stderr
    )
    assert "executing" not in result.stdout


def test_twins_whose_outlines_differ_fail_the_build(book: SmallBook) -> None:
    # Same code, but zh has a section en lacks, and alpha's labels differ.
    beta = page("Beta", "x = 21", "print('beta', 2 * x)")
    book.write("beta.md", beta.replace("$x^2$.\n", "$x^2$.\n\n## More\n"), ("zh",))
    alpha = page("Alpha", "print('alpha', 1 + 1)")
    book.write("alpha.md", alpha.replace("# Alpha", "(sec-alpha)=\n# Alpha"), ("en",))
    book.write("alpha.md", alpha.replace("# Alpha", "(sec-alfa)=\n# Alpha"), ("zh",))
    result = book.build()
    assert result.returncode == 1
    assert (
        "docs/en/alpha.md:8 has the label (sec-alpha)=, docs/zh/alpha.md:8 has the "
        "label (sec-alfa)=: twin pages must have the same (label)= targets"
    ) in result.stderr
    assert (
        "docs/en/beta.md has no more headings, docs/zh/beta.md:12 has a level-2 "
        "heading (##): twin pages must have the same headings"
    ) in result.stderr
    assert "executing" not in result.stdout


def test_launched_kernels_give_the_same_pages(book: SmallBook, tmp_path: Path) -> None:
    book.write(
        "beta.md",
        page("Beta", "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2]);"),
    )
    forked = book.build()
    assert forked.returncode == 0, forked.stderr[-3000:]
    pages = {b: book.html(b, "beta") for b in BOOKS}
    book.build_dir = tmp_path / "launched"
    launched = book.build(D2L_EXECUTOR="launch")
    assert launched.returncode == 0, launched.stderr[-3000:]
    assert {b: book.html(b, "beta") for b in BOOKS} == pages
    images = sorted((tmp_path / "build" / "html" / "en" / "_images").iterdir())
    assert [p.read_bytes() for p in images] == [
        (book.build_dir / "html" / "en" / "_images" / p.name).read_bytes()
        for p in images
    ]
    assert_clean(book)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_build" not in p.parts and "__pycache__" not in p.parts
    }


def _sources(book: SmallBook) -> dict[str, dict[str, bytes]]:
    return {name: _tree(book.root / name) for name in ("docs", "d2l_book", "src")}


def test_plain_sphinx_build_writes_nothing_into_the_sources(book: SmallBook) -> None:
    """``sphinx-build -c docs docs/zh OUT``: the zh book, in Chinese, and no trace."""
    sources = _sources(book)
    beside = {p.name for p in book.root.iterdir()}  # the book's own files
    env = book.env()
    del env["D2L_BUILD_DIR"]  # the default build folder, docs/_build
    out = book.root / "out"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", "docs"]
    result = subprocess.run(
        [*command, "docs/zh", str(out)],
        cwd=book.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    html = (out / "alpha.html").read_text(encoding="utf-8")
    assert "alpha 2" in html
    # The book's settings come from the folder's name: its language and
    # Sphinx's own interface strings, in Chinese.
    assert 'lang="zh-CN"' in html and "d2l-prep：预备知识" in html
    assert "搜索" in html
    assert _sources(book) == sources
    # Nothing beside the output either (MyST-NB's jupyter_execute included).
    assert {p.name for p in book.root.iterdir()} <= beside | {"out"}
    assert book.leftover_processes() == []


def test_a_changed_library_version_changes_the_cache_key() -> None:
    inputs = settings.execution_inputs()
    assert set(inputs) == {"python", *settings.KEY_PACKAGES}
    assert settings.execution_key(inputs) == settings.execution_key(dict(inputs))
    for name in inputs:
        changed = {**inputs, name: inputs[name] + ".post1"}
        assert settings.execution_key(changed) != settings.execution_key(inputs), name


def test_the_cache_key_covers_the_runtime_package_not_the_tooling(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("x = 1\n")
    rc = tmp_path / "matplotlibrc"
    rc.write_text("figure.dpi: 72\n")
    sources = (package, rc)
    key = settings.execution_key(sources=sources, root=tmp_path)
    (package / "mod.py").write_text("x = 2\n")
    assert settings.execution_key(sources=sources, root=tmp_path) != key
    # The engine (d2l_book) is not among the key's sources.
    assert all("d2l_book" not in p.parts for p in settings.KEY_SOURCES)


def test_the_ipc_default_for_myst_nb_kernels_is_in_place() -> None:
    """kernel_ipc patches jupyter_client's defaults: pin what it relies on."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    from d2l_book.sphinxext import kernel_ipc

    kernel_ipc.use_ipc_transport()
    for cls in (KernelManager, AsyncKernelManager):
        manager = cls()
        assert manager.transport == "ipc"
        assert Path(manager.ip).is_absolute()


def test_serve_on_a_busy_port_says_so_before_it_builds(book: SmallBook) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # a port the system picks, held here
        taken.listen()
        port = taken.getsockname()[1]
        result = book.build("serve", "en", D2L_SERVE_PORT=str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in result.stderr
    assert "D2L_SERVE_PORT" in result.stderr, "the message names the setting"
    assert "executing" not in result.stdout
    assert not (book.build_dir / "html").exists()


def test_sigterm_to_serve_ends_it(built: SmallBook) -> None:
    book = built  # only the pages it writes execute
    port = free_port()
    serve = book.start("serve", "en", D2L_SERVE_PORT=str(port))
    deadline = time.monotonic() + 300  # only keeps a broken serve from hanging
    while serve.poll() is None and time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    assert serve.poll() is None, serve.communicate()
    serve.send_signal(signal.SIGTERM)
    out, err = serve.communicate(timeout=60)
    assert serve.returncode == 143, err[-3000:]
    assert book.leftover_processes() == []


def test_a_signal_while_sphinx_renders_stops_both_sphinx_processes(
    built: SmallBook,
) -> None:
    book = built
    started = book.root / "sphinx-started"
    with (book.docs / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n\n_setup = setup\n"
            "\n\ndef setup(app):  # a Sphinx that hangs while reading\n"
            "    import pathlib, time\n"
            "    _setup(app)\n"
            f"    pathlib.Path({str(started)!r}).touch()\n"
            "    app.connect('source-read', lambda *args: time.sleep(600))\n"
        )
    build = book.start()
    while not started.exists() and build.poll() is None:
        time.sleep(0.1)
    build.send_signal(signal.SIGINT)
    out, err = build.communicate(timeout=120)
    assert build.returncode == 130, err[-3000:]
    assert err.strip().splitlines()[-1] == "build stopped by SIGINT"
    assert_clean(book)


def test_each_kernel_gets_its_share_of_the_cores(built: SmallBook) -> None:
    book = built  # only the pages it writes execute
    cell = "import os, torch\nprint('threads', torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])"
    book.write("beta.md", page("Beta", cell))
    result = book.build("en", D2L_KERNEL_THREADS="3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "threads 3 3" in book.html("en", "beta")


def test_a_bad_thread_count_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from d2l_book.execution import execute

    monkeypatch.setenv("D2L_KERNEL_THREADS", "zero")
    with pytest.raises(ValueError, match="D2L_KERNEL_THREADS must be a positive int"):
        execute.kernel_threads(2)
    monkeypatch.delenv("D2L_KERNEL_THREADS")
    assert execute.kernel_threads(1) == (os.cpu_count() or 1)


def test_a_print_flushed_in_two_parts_is_one_output(built: SmallBook) -> None:
    """The kernel may send one print in two stream messages; the page shows one."""
    book = built  # only the pages it writes execute
    cell = (
        "import sys, time\n"
        "sys.stdout.write('first'); sys.stdout.flush(); time.sleep(0.2)\n"
        "print(' second')\n"
        "print('third')"
    )
    book.write("beta.md", page("Beta", cell))
    result = book.build()
    assert result.returncode == 0, result.stderr
    html = book.html("en", "beta")
    assert html.count('class="output stream') == 1
    assert "first second\nthird\n</pre>" in html


def alt_cell(alt: str) -> str:
    """A cell that prints and draws; ``alt`` is its figure's alt text (metadata)."""
    code = 'import matplotlib.pyplot as plt\nprint("gamma", 3 * 3)\nplt.plot([1, 2]);'
    return f'---\nmystnb:\n  image:\n    alt: "{alt}"\n---\n{code}'


def test_twins_with_their_own_alt_text_run_once(book: SmallBook) -> None:
    """The books' alt texts differ, not their code: one kernel serves both."""
    book.write("alpha.md", page("Alpha", alt_cell("in English")), books=("en",))
    book.write("alpha.md", page("Alpha", alt_cell("中文的说明")), books=("zh",))
    log = assert_good_build(book, "gamma 9")
    assert sorted(executed(log)) == ["docs/en/alpha.md", "docs/en/beta.md"]
    assert "executing 2 notebook(s)" in log
    assert 'alt="in English"' in book.html("en", "alpha")
    assert 'alt="中文的说明"' in book.html("zh", "alpha")
    # A new alt text in one book only: its page gets the cached outputs.
    book.write("alpha.md", page("Alpha", alt_cell("换一种说法")), books=("zh",))
    log = assert_good_build(book, "gamma 9")
    assert executed(log) == []
    assert "executing" not in log
    assert 'alt="换一种说法"' in book.html("zh", "alpha")
    assert 'alt="in English"' in book.html("en", "alpha")
    assert_clean(book)


def figure_page(table: str = "", label: str = "loss") -> str:
    """A page drawing one SVG figure in English; ``table``: its front matter's."""
    code = (
        "import matplotlib.pyplot as plt\n"
        "from matplotlib_inline.backend_inline import set_matplotlib_formats\n"
        "set_matplotlib_formats('svg')\n"
        f"plt.plot([1, 3, 2], label={label!r})\n"
        "plt.xlabel('epoch')\n"
        "plt.legend();"
    )
    return page("Alpha", code).replace(
        "  display_name: Python 3\n", f"  display_name: Python 3\n{table}", 1
    )


def svg_texts(book: SmallBook, language: str, name: str) -> list[str]:
    """The texts of each SVG figure of a built page (text stays text in SVG)."""
    folder = book.build_dir / "html" / language
    found = []
    for src in re.findall(r'<img[^>]+src="([^"]+\.svg)"', book.html(language, name)):
        svg = (folder / src).read_text(encoding="utf-8")
        found.append(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))
    return found


TABLE = 'figure_text:\n  "loss": "损失"\n  "epoch": "迭代周期"\n'


def test_the_zh_figure_speaks_chinese_from_the_one_execution(book: SmallBook) -> None:
    """en shows the English drawing, zh the drawing through its table; one kernel."""
    book.write("alpha.md", figure_page(), books=("en",))
    book.write("alpha.md", figure_page(TABLE), books=("zh",))
    log = assert_good_build(book, "")
    assert sorted(executed(log)) == ["docs/en/alpha.md", "docs/en/beta.md"]
    (en,) = svg_texts(book, "en", "alpha")
    (zh,) = svg_texts(book, "zh", "alpha")
    assert "epoch" in en and "loss" in en and "迭代周期" not in en
    assert "迭代周期" in zh and "损失" in zh and "epoch" not in zh
    # An edit of the table draws the page again (its text hash would not).
    book.write("alpha.md", figure_page(TABLE.replace("损失", "损失值")), ("zh",))
    log = assert_good_build(book, "")
    assert executed(log) == ["docs/zh/alpha.md"]
    assert "损失值" in svg_texts(book, "zh", "alpha")[0]
    assert svg_texts(book, "en", "alpha") == [en]
    assert_clean(book)


def test_a_stale_or_missing_translation_fails_naming_page_and_string(
    book: SmallBook,
) -> None:
    table = TABLE + '  "accuracy": "准确率"\n'
    book.write("alpha.md", figure_page(label="training loss"), books=("en",))
    book.write("alpha.md", figure_page(table, "training loss"), books=("zh",))
    result = book.build("en")  # the zh table applies whichever book is built
    assert result.returncode == 1
    assert "docs/zh/alpha.md: figure text does not match its figures" in result.stderr
    assert "draws 'training loss', which figure_text does not translate" in (
        result.stderr
    )
    assert "figure_text translates 'accuracy', which no figure draws" in result.stderr
    assert "figure_text translates 'loss'" in result.stderr
    assert_clean(book)


def test_without_a_cjk_font_the_build_says_what_to_install(book: SmallBook) -> None:
    source = book.engine / "sphinxext" / "figure_text.py"
    text = source.read_text(encoding="utf-8")
    families = (
        'CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC")'
    )
    assert families in text
    source.write_text(
        text.replace(families, 'CJK_FAMILIES = ("No Such CJK Font",)'),
        encoding="utf-8",
    )
    result = book.build()
    assert result.returncode == 1
    assert "the Chinese book's figures need a CJK font, one of No Such CJK Font" in (
        result.stderr
    )
    assert "apt-get install fonts-noto-cjk" in result.stderr
    assert "Traceback" not in result.stderr
    assert "executed" not in result.stdout
    assert_clean(book)
