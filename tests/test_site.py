"""The built site: strict, paired, offline, and leaving the source tree alone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

from cells import read_code_cells
from conftest import BOOKS, BUILD, DOCS, ROOT, pages

pytestmark = pytest.mark.build

# Attributes through which a page makes the browser load something.
LOADING = {
    "script": "src",
    "img": "src",
    "link": "href",
    "source": "src",
    "iframe": "src",
}
_CSS_URL = re.compile(r"""url\(\s*['"]?(?P<url>[^'")]+)""")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def outputs(path: Path) -> list[str]:
    """The rendered outputs of every code cell of a page, in order.

    A figure's alt text is left out: it is written in the page's language
    (tests/test_alt_text.py checks it).
    """
    cells = soup(path).select("div.cell_output")
    for img in (img for cell in cells for img in cell.find_all("img")):
        del img["alt"]
    return [str(div) for div in cells]


def test_build_log_has_no_warning(built_site: Path) -> None:
    if not (BUILD / "build.log").exists():
        pytest.skip("the site was not built by this test session")
    log = (BUILD / "build.log").read_text(encoding="utf-8")
    assert "build succeeded" in log
    for noise in ("WARNING", "Warning", "without encryption", "Traceback"):
        assert noise not in log, f"build log contains {noise!r}"


@pytest.mark.parametrize("book", BOOKS)
def test_every_page_is_built(built_site: Path, book: str) -> None:
    for page in pages():
        assert (built_site / book / f"{page}.html").is_file(), f"{book}/{page}.html"


@pytest.mark.parametrize("page", pages())
def test_page_pairs_show_the_same_outputs(built_site: Path, page: str) -> None:
    en = outputs(built_site / "en" / f"{page}.html")
    zh = outputs(built_site / "zh" / f"{page}.html")
    assert en == zh


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize("book", BOOKS)
def test_language_switcher_leads_to_the_counterpart(
    built_site: Path, book: str, page: str
) -> None:
    path = built_site / book / f"{page}.html"
    (other,) = [b for b in BOOKS if b != book]
    switcher = soup(path).select("div.language-switcher a")
    assert switcher, f"{book}/{page}.html has no language switcher"
    target = (path.parent / switcher[0]["href"]).resolve()
    assert target == (built_site / other / f"{page}.html").resolve()
    alternates = {
        link["hreflang"]: (path.parent / link["href"]).resolve()
        for link in soup(path).select('link[rel="alternate"][hreflang]')
    }
    assert alternates == {
        "en": (built_site / "en" / f"{page}.html").resolve(),
        "zh-CN": (built_site / "zh" / f"{page}.html").resolve(),
    }


def _loaded_urls(path: Path) -> list[str]:
    if path.suffix == ".html":
        tree = soup(path)
        urls = [
            tag[attr]
            for name, attr in LOADING.items()
            for tag in tree.find_all(name)
            if tag.get(attr)
            and not (name == "link" and "alternate" in tag.get("rel", []))
        ]
        urls += [
            m["url"]
            for style in tree.find_all("style")
            for m in _CSS_URL.finditer(style.text)
        ]
        return urls
    return [
        m["url"]
        for m in _CSS_URL.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]


def test_nothing_is_loaded_from_another_host(built_site: Path) -> None:
    offenders = []
    for path in sorted(built_site.rglob("*")):
        if path.suffix not in {".html", ".css"}:
            continue
        for url in _loaded_urls(path):
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} or url.startswith("//"):
                offenders.append(f"{path.relative_to(built_site)}: {url}")
    assert offenders == []


@pytest.mark.parametrize("book", BOOKS)
def test_math_is_served_by_the_site(built_site: Path, book: str) -> None:
    scripts = [
        s.get("src", "")
        for s in soup(built_site / book / "calculus.html").find_all("script")
    ]
    mathjax = [s for s in scripts if "mathjax" in s]
    assert len(mathjax) == 1
    assert mathjax[0].split("?")[0] == "_static/mathjax/tex-chtml.js"
    assert (built_site / book / "_static" / "mathjax" / "tex-chtml.js").is_file()
    fonts = (
        built_site
        / book
        / "_static"
        / "mathjax"
        / "output"
        / "chtml"
        / "fonts"
        / "woff-v2"
    )
    assert any(fonts.glob("*.woff"))


def test_landing_page_offers_both_books(built_site: Path) -> None:
    links = {a["href"] for a in soup(built_site / "index.html").find_all("a")}
    assert {"en/index.html", "zh/index.html"} <= links


def test_build_leaves_the_source_tree_clean(built_site: Path) -> None:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", "docs", "src"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    untracked = [line for line in status.splitlines() if line.startswith("??")]
    assert untracked == [], "the build wrote files into the source tree"


@pytest.mark.parametrize(
    "page", [p for p in pages() if read_code_cells(DOCS / "en" / f"{p}.md")]
)
@pytest.mark.parametrize("book", BOOKS)
def test_chapter_offers_its_notebook(built_site: Path, book: str, page: str) -> None:
    html = built_site / book / f"{page}.html"
    links = soup(html).select(".notebook-download a")
    assert len(links) == 1, f"{book}/{page}.html has no notebook download link"
    notebook = (html.parent / links[0]["href"]).resolve()
    assert notebook == (built_site / book / f"{page}.ipynb").resolve()
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert code == [cell.source for cell in read_code_cells(DOCS / book / f"{page}.md")]
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    title = soup(html).find("h1").get_text().strip("#¶ ").split(" ", 1)[-1]
    assert title in prose
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


# Markdown that did not become markup: a role or fence left as text, or bold
# asterisks beside CJK text or punctuation, where CommonMark does not treat
# them as emphasis.
_LEAKED = re.compile(
    r"\{(?:term|ref|doc|numref)\}|^:::|```|\*\*(?=[\u3000-\u9fff\uff00-\uffef{`])|(?<=[\u3000-\u9fff\uff00-\uffef`])\*\*",
    re.M,
)


@pytest.mark.parametrize("book", BOOKS)
def test_no_markdown_leaks_into_the_prose(built_site: Path, book: str) -> None:
    leaks = []
    for page in pages():
        article = soup(built_site / book / f"{page}.html").find("article")
        for tag in article.find_all(["pre", "code", "script", "style"]):
            tag.decompose()
        text = article.get_text()
        leaks += [
            f"{page}: …{text[max(0, m.start() - 30) : m.end() + 30]}…"
            for m in _LEAKED.finditer(text)
        ]
    assert leaks == []
