"""The built site: strict, paired, offline, and leaving the source tree alone."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

from d2l_book.sources.cells import read_code_cells
from d2l_book.sphinxext.figure_text import english_words
from d2l_book.sphinxext.hosted_site import site_url
from tests import book as test_book
from tests.book import BOOKS, BUILD, DOCS, pages
from tests.site import conftest as site
from tests.site import parsed

pytestmark = pytest.mark.build

# Attributes through which a page makes the browser load something.
LOADING = {
    "script": "src",
    "img": "src",
    "link": "href",
    "source": "src",
    "iframe": "src",
}
# Link relations that name a URL without the browser loading it.
_NOT_LOADED = {"alternate", "canonical"}
_CSS_URL = re.compile(r"""url\(\s*['"]?(?P<url>[^'")]+)""")


soup = parsed.tree  # each page parsed once, shared: read, never changed


def outputs(path: Path) -> list[str]:
    """The rendered outputs of every code cell of a page, in order.

    A figure's alt text is written in the page's language, and so are its
    drawing (a file of its own) and its caption: they are left out, the
    figure's place and label stay.
    """
    return [_without_language(str(div)) for div in soup(path).select("div.cell_output")]


def _without_language(output: str) -> str:
    """A cell's output (HTML) without its figures' alt text, drawing and caption."""
    div = parsed.parse(output)  # its own copy: the page's tree is shared
    for image in div.find_all("img"):
        image.attrs.pop("alt", None)
        image["src"] = "figure"
    for caption in div.find_all("figcaption"):
        caption.decompose()
    return str(div)


def test_build_log_has_no_warning(built_site: Path) -> None:
    if not (BUILD / "build.log").exists():
        pytest.skip("the site was not built by this test session")
    log = (BUILD / "build.log").read_text(encoding="utf-8")
    assert "build succeeded" in log
    for noise in ("WARNING", "Warning", "without encryption", "Traceback"):
        assert noise not in log, f"build log contains {noise!r}"
    # One line per phase: even a cold build (as in CI) says little.
    assert len(log.splitlines()) < 60, f"the build log is {len(log.splitlines())} lines"
    assert "configuration has changed" not in log


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
            and not (name == "link" and _NOT_LOADED & set(tag.get("rel", [])))
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


def test_landing_page_marks_its_chinese_text(built_site: Path) -> None:
    """Chinese text sits in an element marked zh-CN, so it gets a CJK font."""
    page = soup(built_site / "index.html")
    assert page.body is not None
    for text in page.body.find_all(string=re.compile("[\u4e00-\u9fff]")):
        marked = text.find_parent(attrs={"lang": "zh-CN"})
        assert marked is not None, f"{text!r} is not marked lang='zh-CN'"


def test_build_leaves_the_source_tree_clean(built_site: Path) -> None:
    """The build writes nothing into docs/ or src/ (its output is ignored by git).

    Compared before and after the session's build, so an author's new page,
    untracked yet, is not blamed.
    """
    if not (BUILD / "build.log").exists():
        pytest.skip("the site was not built by this test session")
    assert site.source_changes == [], "the build wrote into the source tree"


def test_the_clean_tree_check_allows_an_untracked_page(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("docs/_build/\n")
    (tmp_path / "docs" / "en").mkdir(parents=True)
    (tmp_path / "docs" / "en" / "index.md").write_text("# Index\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    # An author's new page, not committed yet, is there before the build.
    (tmp_path / "docs" / "en" / "new-page.md").write_text("# New\n")
    before = test_book.source_snapshot(tmp_path)
    (tmp_path / "docs" / "_build").mkdir()
    (tmp_path / "docs" / "_build" / "page.html").write_text("<p>built</p>")
    assert test_book.changed_sources(before, test_book.source_snapshot(tmp_path)) == []
    (tmp_path / "docs" / "en" / "stray.ipynb").write_text("{}")
    after = test_book.source_snapshot(tmp_path)
    assert test_book.changed_sources(before, after) == ["docs/en/stray.ipynb"]


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
    install, *code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert nb.cells[0].source == install and "%pip install" in install
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
        text = parsed.prose(soup(built_site / book / f"{page}.html").find("article"))
        leaks += [
            f"{page}: …{text[max(0, m.start() - 30) : m.end() + 30]}…"
            for m in _LEAKED.finditer(text)
        ]
    assert leaks == []


# -- The hosted site ----------------------------------------------------------------
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
HREFLANG = {"en": "en", "zh": "zh-CN"}


def test_sitemap_lists_every_page_with_its_counterpart(built_site: Path) -> None:
    from xml.etree import ElementTree

    site = site_url()
    root = ElementTree.parse(built_site / "sitemap.xml").getroot()
    entries = {
        url.findtext(f"{SITEMAP}loc"): {
            link.get("hreflang"): link.get("href")
            for link in url.findall(f"{XHTML}link[@rel='alternate']")
        }
        for url in root.findall(f"{SITEMAP}url")
    }
    for page in pages():
        pairs = {HREFLANG[book]: f"{site}{book}/{page}.html" for book in BOOKS}
        for url in pairs.values():
            assert entries.pop(url) == pairs, url
    assert set(entries) == {site}, "pages listed that are not in the books"


def _absolute_path(url: str) -> str:
    assert url.startswith("/") and not url.startswith("//"), url
    return url.split("?")[0].split("#")[0]


def test_not_found_page_works_from_any_depth(built_site: Path) -> None:
    page = built_site / "404.html"
    prefix = urlsplit(site_url()).path
    tree = soup(page)
    loaded = [
        str(tag[attr])
        for name, attr in LOADING.items()
        for tag in tree.find_all(name)
        if tag.get(attr) and not _NOT_LOADED & set(tag.get("rel", []))
    ]
    assert loaded, "404.html loads no style or script"
    for url in loaded:
        path = _absolute_path(url)
        assert path.startswith(prefix)
        assert (built_site / path[len(prefix) :]).is_file(), url
    links = {_absolute_path(str(a["href"])) for a in tree.select("article a[href]")}
    assert {f"{prefix}en/index.html", f"{prefix}zh/index.html"} <= links


@pytest.mark.parametrize("book", BOOKS)
def test_pages_have_open_graph_meta(built_site: Path, book: str) -> None:
    for page in pages():
        tree = soup(built_site / book / f"{page}.html")
        og = {
            tag["property"]: tag["content"]
            for tag in tree.select('meta[property^="og:"]')
        }
        title = tree.find("h1").get_text().strip("#¶ ")
        assert og["og:title"] == title, page
        assert len(og["og:description"]) > 40, page
        assert og["og:url"] == f"{site_url()}{book}/{page}.html"
        assert "og:image" not in og, "an image the site does not serve"
        canonical = tree.find("link", rel="canonical")["href"]
        assert canonical == og["og:url"]


def _policy(tree: BeautifulSoup) -> dict[str, set[str]]:
    meta = tree.head.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta is not None, "no Content-Security-Policy meta"
    before = meta.find_all_previous(["script", "style", "link"])
    assert before == [], "the policy must come before every script and style"
    return {
        name: set(values)
        for name, *values in (d.split() for d in meta["content"].split(";"))
    }


def _inline_script_hashes(tree: BeautifulSoup) -> set[str]:
    """sha256 sources of the scripts the browser runs from the page's own text."""
    return {
        "'sha256-"
        + base64.b64encode(hashlib.sha256(s.string.encode()).digest()).decode()
        + "'"
        for s in tree.find_all("script")
        if not s.get("src")
        and s.get("type", "text/javascript") in {"text/javascript", "module"}
        and s.string is not None
    }


def test_every_page_carries_a_content_security_policy(built_site: Path) -> None:
    html_pages = sorted(built_site.glob("*.html")) + [
        p for book in BOOKS for p in sorted((built_site / book).glob("*.html"))
    ]
    assert len(html_pages) > 2 * len(pages())
    for path in html_pages:
        tree = soup(path)
        policy = _policy(tree)
        assert policy["default-src"] == {"'self'"}, path
        assert policy["object-src"] == {"'none'"}, path
        assert policy["script-src"] == {"'self'"} | _inline_script_hashes(tree), path
        assert policy["style-src"] == {"'self'", "'unsafe-inline'"}, path


@pytest.mark.parametrize("book", BOOKS)
def test_furo_inline_scripts_are_hashed(built_site: Path, book: str) -> None:
    tree = soup(built_site / book / "calculus.html")
    theme = [s for s in tree.find_all("script") if "dataset.theme" in (s.string or "")]
    assert len(theme) == 1
    assert len(_policy(tree)["script-src"]) >= 2


@pytest.mark.parametrize("book", BOOKS)
def test_computation_graph_figures_say_in_words_what_they_show(
    built_site: Path, book: str
) -> None:
    page = soup(built_site / book / "computation-graphs.html")
    images = page.select("div.cell_output img")
    assert len(images) >= 4
    for img in images:
        alt, name = img.get("alt", ""), Path(img["src"]).stem
        assert len(alt) >= 20 and name not in alt, f"alt text {alt!r} of {name}"
        chinese = any("\u4e00" <= char <= "\u9fff" for char in alt)
        assert chinese == (book == "zh"), f"alt text not in the page's language: {alt}"


_CJK = re.compile(r"[\u4e00-\u9fff]")
# Chapters that teach with figures: every page with code but the API page and
# the chapter on looking up the documentation.
FIGURE_CHAPTERS = [
    page
    for page in pages()
    if read_code_cells(DOCS / "en" / f"{page}.md") and page not in {"api", "lookup-api"}
]


def figure_texts(book_dir: Path, page: str) -> list[str]:
    """The text drawn in each figure of a built page, in order.

    Figures are SVG whose text stays text (docs/matplotlibrc), so the words a
    reader sees are the ``<text>`` elements of the file.
    """
    found = []
    for img in soup(book_dir / f"{page}.html").select("div.cell_output img"):
        src = str(img["src"])
        assert src.endswith(".svg"), f"{page}: figure {src} is not SVG"
        svg = (book_dir / src).read_text(encoding="utf-8")
        found.append(" ".join(re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)))
    return found


def test_each_book_draws_its_figures_in_its_own_language(built_site: Path) -> None:
    """en figures draw no Chinese; a zh figure draws Chinese wherever its en twin
    draws English words (math, numbers and operation names stay as they are);
    figures in every chapter."""
    problems, counts = [], {}
    drawn = {
        book: {page: figure_texts(built_site / book, page) for page in pages()}
        for book in BOOKS
    }
    for book in BOOKS:
        counts[book] = sum(len(texts) for texts in drawn[book].values())
        bare = [page for page in FIGURE_CHAPTERS if not drawn[book][page]]
        if bare:
            problems.append(f"{book}: chapters without a figure: {bare}")
    for page in pages():
        pairs = zip(drawn["en"][page], drawn["zh"][page], strict=True)
        for number, (en, zh) in enumerate(pairs, start=1):
            if _CJK.search(en) or (english_words(en) and not _CJK.search(zh)):
                problems.append(f"{page}.html figure {number}: {en!r} / {zh!r}")
    if counts["en"] < 25 or counts["zh"] < 25:
        problems.append(f"the books draw {counts} figures, not 25 each")
    assert not problems, "\n".join(problems)
