"""The downloadable notebooks: plain Jupyter Markdown, and they run anywhere.

Every exported ``<page>.ipynb`` of both books is read as a reader's Jupyter
would read it (no MyST syntax may be left, every link into the site must
lead to a page and an anchor that exist), and then run top to bottom in a
fresh kernel of a throwaway virtual environment, whose only ``d2l_prep`` is
the one its first cell installs from the built site's wheel.

How the install cell reaches the wheel: the site is built once with its real
address (``D2L_SITE_URL``, by default ``http://127.0.0.1:8000/``, a port a
live preview may hold), so the test serves the built site with
``http.server`` on 127.0.0.1 at a free port and replaces the site address at
the start of the cell's URL by the served one; the path, which the test
checks is a file of the site, and the ``%pip install`` line are run as
written.  Rebuilding the site for the test's port would re-render both books
for a one-word change.

The environment: ``python -m venv --without-pip`` plus a ``.pth`` line that
puts the test environment's site-packages (pip included) on its path, so PyTorch,
pandas, Matplotlib and ipykernel are there without a download, but the
editable ``d2l_prep`` of the checkout is not (its ``.pth`` file is not read).
``PIP_NO_INDEX=1``: the install cell may take nothing from an index.  A last
cell, added by the test, reports which Python ran and where ``d2l_prep`` was
imported from.  The notebooks run with nbclient, two at a time, each distinct
program once: a zh notebook whose code is that of its en twin (the rule) is
not run again, since a kernel never receives the Markdown or the metadata.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from d2l_book.sphinxext.hosted_site import site_url
from tests.book import BOOKS, DOCS
from tests.site import parsed
from tests.site.test_browser import _serve

pytestmark = pytest.mark.build

from d2l_book import build, package_wheel  # build: where the zips go
from d2l_book.sphinxext import notebooks

# MyST that must not reach a notebook's Markdown.
_MYST = re.compile(
    r"\{(?:ref|term|doc|numref|eq|code-cell|dropdown)\}|^\s*\([\w-]+\)=\s*$"
    r"|^\s*:::|^\s*```+\s*\{",
    re.M,
)
_LINK = re.compile(r"\]\(<?(?P<url>[^)\s>]+)>?\)")
_TIMEOUT = 600  # seconds per cell
_WORKERS = 2


def _notebooks(site: Path) -> list[Path]:
    return sorted(p for book in BOOKS for p in (site / book).glob("*.ipynb"))


def _markdown(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def test_every_chapter_with_code_is_exported(built_site: Path) -> None:
    for book in BOOKS:
        exported = {p.stem for p in (built_site / book).glob("*.ipynb")}
        with_code = {
            p.stem
            for p in (DOCS / book).glob("*.md")
            if "```{code-cell}" in p.read_text()
        }
        assert exported == with_code, book


@pytest.mark.parametrize("book", BOOKS)
def test_notebook_markdown_has_no_myst_left(built_site: Path, book: str) -> None:
    leaks = []
    for path in sorted((built_site / book).glob("*.ipynb")):
        for text in _markdown(path):
            leaks += [
                f"{path.name}: …{text[max(0, m.start() - 40) : m.end() + 40]}…"
                for m in _MYST.finditer(text)
            ]
    assert leaks == []


@functools.cache
def _ids(page: Path) -> frozenset[str]:
    tree = parsed.tree(page)  # shared: read, never changed
    return frozenset(str(tag["id"]) for tag in tree.find_all(id=True))


@pytest.mark.parametrize("book", BOOKS)
def test_notebook_links_lead_into_the_site(built_site: Path, book: str) -> None:
    """Cross-references are absolute links to a page and anchor of the same book."""
    site, broken, count = site_url(), [], 0
    for path in sorted((built_site / book).glob("*.ipynb")):
        for text in _markdown(path):
            for match in _LINK.finditer(text):
                url = match["url"]
                if not url.startswith(site):
                    assert urlsplit(url).scheme == "https", f"{path.name}: {url}"
                    continue
                count += 1
                page, _, anchor = url[len(site) :].partition("#")
                target = built_site / page
                if not page.startswith(f"{book}/") or not target.is_file():
                    broken.append(f"{path.name}: {url}")
                elif anchor and anchor not in _ids(target):
                    broken.append(f"{path.name}: {url} (no such anchor)")
    assert count > 100, "the notebooks link almost nothing of the site"
    assert broken == []


@pytest.mark.parametrize("book", BOOKS)
def test_each_solution_is_a_closed_details_block(built_site: Path, book: str) -> None:
    for path in sorted((built_site / book).glob("*.ipynb")):
        source = (DOCS / book / f"{path.stem}.md").read_text(encoding="utf-8")
        dropdowns = len(re.findall(r"^:::\{dropdown\}", source, re.M))
        title = "Solution" if book == "en" else "答案"
        text = "\n".join(_markdown(path))
        assert text.count(f"<details><summary>{title}</summary>") == dropdowns
        assert text.count("</details>") == dropdowns
        assert "<details open" not in text
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if tags & {"solution", "hide-input"}:
                assert cell.metadata["jupyter"]["source_hidden"] is True


def test_install_cell_takes_the_sites_wheel(built_site: Path) -> None:
    wheel = package_wheel.wheel_name()
    assert sorted(p.name for p in (built_site / "packages").iterdir()) == [wheel]
    for path in _notebooks(built_site):
        first = nbformat.read(path, as_version=4).cells[0]
        assert first.cell_type == "code"
        line = first.source.splitlines()[-1]
        assert line.startswith(f"%pip install -q {site_url()}packages/{wheel}"), path
        needs_pandas = (
            "import pandas" in (DOCS / path.parent.name / f"{path.stem}.md").read_text()
        )
        assert line.endswith(" pandas") == needs_pandas, path


def test_wheel_is_reproducible(built_site: Path, tmp_path: Path) -> None:
    """The same sources build the same wheel bytes as the site's."""
    again = package_wheel.build_wheel(tmp_path)
    assert again.read_bytes() == (built_site / "packages" / again.name).read_bytes()
    with zipfile.ZipFile(again) as archive:
        assert {info.date_time for info in archive.infolist()} == {
            (1980, 1, 1, 0, 0, 0)
        }


@pytest.mark.parametrize("book", BOOKS)
def test_notebooks_zip(built_site: Path, book: str, tmp_path: Path) -> None:
    target = build.notebooks_zip(book)
    assert target.parent == built_site / "pdf"
    with zipfile.ZipFile(target) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == [
            f"{target.stem}/{p.name}"
            for p in sorted((built_site / book).glob("*.ipynb"))
        ]
        assert {info.date_time for info in infos} == {notebooks.ZIP_TIME}
        for info in infos:
            page = built_site / book / Path(info.filename).name
            assert archive.read(info) == page.read_bytes()
    copy = tmp_path / target.name
    assert notebooks.write_zip(built_site / book, copy)
    assert copy.read_bytes() == target.read_bytes(), "the zip is not reproducible"
    home = parsed.tree(built_site / book / "index.html")  # shared: read only
    links = [a["href"] for a in home.select("a.notebooks-zip")]
    assert links == [f"../pdf/{target.name}"]
    landing = parsed.tree(built_site / "index.html")
    assert f"pdf/{target.name}" in [
        a["href"] for a in landing.select("a.notebooks-zip")
    ]


# -- running every notebook -------------------------------------------------------
@pytest.fixture(scope="module")
def served_site(built_site: Path) -> Iterator[str]:
    """The built site on 127.0.0.1 at a free port: its address, ending in /."""
    with _serve(built_site) as url:
        yield f"{url}/"


# Run by the throwaway environment's Python: execute the notebook, write it back.
_RUNNER = textwrap.dedent(
    """
    import sys, nbformat
    from nbclient import NotebookClient
    source, target, cwd, timeout = sys.argv[1:5]
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(
        nb, timeout=int(timeout), kernel_name="python3",
        resources={"metadata": {"path": cwd}},
    )
    client.execute()
    nbformat.write(nb, target)
    """
)
_REPORT = (
    "import json, sys, d2l_prep\n"
    "print(json.dumps({'python': sys.executable, 'd2l_prep': d2l_prep.__file__}))"
)


def _environment(folder: Path) -> Path:
    """A venv that sees the test environment's libraries but not d2l_prep."""
    # Without its own pip and setuptools, which would shadow the test
    # environment's (PyTorch requires a newer setuptools than ensurepip's).
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True
    )
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    Path(purelib, "_test_environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run(
        [python, "-m", "ipykernel", "install", "--prefix", str(folder)],
        check=True,
        capture_output=True,
    )
    return python


def _run(path: Path, folder: Path, served: str) -> str | None:
    """Run one notebook in its own environment; a failure's description or None."""
    nb = nbformat.read(path, as_version=4)
    install = nb.cells[0]
    url = install.source.splitlines()[-1].split()[3]  # %pip install -q URL ...
    if not url.startswith(site_url()):
        return f"{path}: the install cell does not take the site's wheel: {url}"
    install.source = install.source.replace(site_url(), served)
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT))
    folder.mkdir(parents=True)
    python = _environment(folder / "venv")
    source, target, cwd = folder / "in.ipynb", folder / "out.ipynb", folder / "cwd"
    cwd.mkdir()
    nbformat.write(nb, source)
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    env |= {
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "JUPYTER_PATH": str(folder / "venv" / "share" / "jupyter"),
        "OMP_NUM_THREADS": "1",
    }
    env.pop("MATPLOTLIBRC", None)
    result = subprocess.run(
        [python, "-c", _RUNNER, source, target, cwd, str(_TIMEOUT)],
        env=env,
        capture_output=True,
        text=True,
    )
    name = f"{path.parent.name}/{path.name}"
    if result.returncode:
        return f"{name} failed:\n{result.stderr[-3000:]}"
    executed = nbformat.read(target, as_version=4)
    said = "".join(o.get("text", "") for o in executed.cells[0].outputs)
    if "ERROR" in said:
        return f"{name}: the install cell failed: {said}"
    report = json.loads(executed.cells[-1].outputs[0]["text"])
    venv = str(folder / "venv")
    if not report["python"].startswith(venv) or not report["d2l_prep"].startswith(venv):
        return f"{name} did not run on the wheel in its own environment: {report}"
    return None


def _program(path: Path) -> str:
    """What reaches the kernel when a notebook runs: which kernel, and the code
    cells' sources in order (nbclient sends a kernel nothing else: neither
    the Markdown nor any metadata, the zh figure texts and alt texts included)."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # a twin that is not run is still a valid notebook
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    kernel = nb.metadata.get("kernelspec", {})
    return json.dumps({"kernel": kernel, "code": code}, sort_keys=True)


def _distinct_programs(paths: list[Path]) -> list[Path]:
    """One notebook per distinct program: the first of those that run the same.

    The en and zh notebooks of a page differ in their Markdown, figure texts
    and alt texts, but their code cells are byte-identical (the project's
    rule), so running both would run the same program twice.  A page whose
    twins' code differs keeps both.
    """
    seen: dict[str, Path] = {}
    for path in paths:
        seen.setdefault(_program(path), path)
    return list(seen.values())


def test_every_notebook_runs_in_a_fresh_kernel(
    built_site: Path, served_site: str, tmp_path: Path
) -> None:
    if "git+" in nbformat.read(_notebooks(built_site)[0], as_version=4).cells[0].source:
        pytest.skip("the notebooks install d2l_prep from D2L_REPO_URL, not the site")
    paths = _distinct_programs(_notebooks(built_site))
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        failures = pool.map(
            lambda item: _run(item[1], tmp_path / str(item[0]), served_site),
            enumerate(paths),
        )
    problems = [failure for failure in failures if failure]
    assert problems == [], "\n\n".join(problems)
