"""The hosted site's tooling, without a build: site address, CSP hashes, deploy."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from d2l_book.sphinxext.csp import add_policy, inline_script_hashes, policy_for
from d2l_book.sphinxext.hosted_site import (
    DEFAULT_SITE_URL,
    _accessible_markup,
    site_url,
)
from tests.book import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def _sha256(text: str) -> str:
    return (
        "'sha256-"
        + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        + "'"
    )


def test_site_url_defaults_to_a_local_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D2L_SITE_URL", raising=False)
    assert site_url() == DEFAULT_SITE_URL


def test_site_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("D2L_SITE_URL", "https://example.github.io/d2l-prep")
    assert site_url() == "https://example.github.io/d2l-prep/"


@pytest.mark.parametrize("bad", ["example.org/book/", "/d2l-prep/", "ftp://x.org/"])
def test_site_url_must_be_absolute(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("D2L_SITE_URL", bad)
    with pytest.raises(ValueError, match="D2L_SITE_URL"):
        site_url()


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script src="_static/a.js"></script>
<script>document.body.dataset.theme = "auto";</script>
<script type="application/json">{"not": "code"}</script>
<script type="module">import "./b.js";</script>
</head><body><script>document.body.dataset.theme = "auto";</script></body></html>
"""


def test_scrolling_outputs_become_tab_stops() -> None:
    """Code blocks and graph figures may scroll sideways: keyboards must reach them."""
    output = '<div class="cell_output docutils container">\n'
    graph = f'{output}<img alt="graph" class="graph-figure" src="g.svg" /></div>'
    plot = f'{output}<img alt="plot" src="p.svg" /></div>'
    text = f'{output}<div class="output"><pre>1</pre></div></div>'
    context: dict[str, Any] = {"body": graph + plot + text}
    _accessible_markup(None, "chapter", "page.html", context, None)  # type: ignore[arg-type]
    body = context["body"]
    assert body.startswith('<div class="cell_output docutils container" tabindex="0">')
    assert '<pre tabindex="0">1</pre>' in body
    assert body.count('tabindex="0"') == 2, "a plot shrinks to fit: no tab stop"


def test_a_numbered_graph_figure_is_a_tab_stop() -> None:
    """A graph inside a numbered <figure> (with its caption) scrolls the same way."""
    graph = (
        '<div class="cell_output docutils container">\n'
        '<figure class="align-default" id="fig-x">\n'
        '<img alt="graph" class="graph-figure" src="g.svg" />\n'
        "<figcaption><p>Figure 8.1 A graph.</p></figcaption></figure></div>"
    )
    context: dict[str, Any] = {"body": graph}
    _accessible_markup(None, "chapter", "page.html", context, None)  # type: ignore[arg-type]
    assert context["body"].startswith(
        '<div class="cell_output docutils container" tabindex="0">'
    )


def test_only_inline_code_is_hashed_once_each() -> None:
    assert inline_script_hashes(PAGE) == [
        _sha256('document.body.dataset.theme = "auto";'),
        _sha256('import "./b.js";'),
    ]


def test_scripts_run_by_hash_only() -> None:
    policy = dict(d.split(" ", 1) for d in policy_for(PAGE).split("; "))
    assert policy["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert _sha256('import "./b.js";') in policy["script-src"]


def test_policy_is_rewritten_not_stacked(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    add_policy(page)
    first = page.read_text(encoding="utf-8")
    add_policy(page)
    assert page.read_text(encoding="utf-8") == first
    assert first.count("Content-Security-Policy") == 1
    # right after <meta charset>, before every script
    assert first.index("Content-Security-Policy") < first.index("<script")
    assert first.index("charset") < first.index("Content-Security-Policy")


def test_policy_needs_a_head(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p>no head</p>", encoding="utf-8")
    with pytest.raises(ValueError, match="no <head>"):
        add_policy(page)


def _steps() -> list[dict[str, object]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_deploy_workflow_builds_as_the_readme_says() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    trigger = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert "main" in trigger["push"]["branches"]
    runs = [str(step.get("run", "")).strip() for step in _steps()]
    assert "nox -s docs -- --cached-only" in runs, runs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "nox -s docs" in readme and "--cached-only" in readme


def test_deploy_workflow_executes_in_shards_then_merges() -> None:
    """N runners execute a shard each; one merges their caches and builds."""
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    shards = jobs["execute"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) >= 2, shards
    steps = jobs["execute"]["steps"]
    runs = [str(step.get("run", "")).strip() for step in steps]
    shard = "--shard ${{ matrix.shard }}/${{ strategy.job-total }}"
    assert f"nox -s execute -- {shard}" in runs, runs
    uses = {str(step.get("uses", "")).split("@")[0]: step for step in steps}
    upload = uses["actions/upload-artifact"]["with"]
    assert upload["path"] == "docs/_build/.jupyter_cache", upload
    assert upload["include-hidden-files"] is True  # .jupyter_cache is hidden
    assert "actions/cache" not in uses, "a shard would save a partial cache"
    build = jobs["build"]
    assert build["needs"] == "execute"
    order = [
        str(s.get("uses", "")).split("@")[0] or str(s["run"]) for s in build["steps"]
    ]
    download = next(
        s for s in build["steps"] if "download-artifact" in str(s.get("uses"))
    )
    assert download["with"]["pattern"] == upload["name"].replace(
        "${{ matrix.shard }}", "*"
    )
    merge = f"nox -s merge -- {download['with']['path']}/*"
    assert merge in order, order
    steps_in_order = [
        "actions/download-artifact",
        merge,
        "nox -s docs -- --cached-only",
        "actions/cache/save",
        "actions/upload-pages-artifact",
    ]
    assert [order.index(step) for step in steps_in_order] == sorted(
        order.index(step) for step in steps_in_order
    ), order


def test_deploy_workflow_publishes_the_built_site() -> None:
    uses = {str(step.get("uses", "")).split("@")[0]: step for step in _steps()}
    assert uses["actions/upload-pages-artifact"]["with"] == {"path": "docs/_build/html"}
    assert "actions/deploy-pages" in uses


def _debian_packages(script: str) -> set[str]:
    """The package names a shell script installs with ``apt-get install``."""
    words = script.replace("\\\n", " ").split()
    found: set[str] = set()
    for number, word in enumerate(words):
        if word == "install" and number and words[number - 1] == "apt-get":
            rest = words[number + 1 :]
            stop = next((i for i, w in enumerate(rest) if w in {"&&", ";"}), len(rest))
            found |= {w for w in rest[:stop] if not w.startswith("-")}
    return found


def test_deploy_workflow_prints_the_pdfs() -> None:
    """The landing page links the PDFs: the deployed site must hold them."""
    steps = _steps()
    runs = [str(step.get("run", "")).strip() for step in steps]
    assert "nox -s pdf" in runs, "the workflow builds no PDF"
    docs = runs.index("nox -s docs -- --cached-only")
    pdf = runs.index("nox -s pdf")
    upload = next(
        i
        for i, step in enumerate(steps)
        if str(step.get("uses", "")).startswith("actions/upload-pages-artifact")
    )
    assert docs < pdf < upload, "the PDFs are printed after the site, before upload"
    # The same TeX Live, tools and fonts as the CI run, installed before printing.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    listed = re.search(r'^PDF_PACKAGES="([^"]+)"', ci, re.M)
    assert listed, ".ci/run lists no PDF_PACKAGES"
    installs = [i for i, run in enumerate(runs) if _debian_packages(run)]
    assert installs and installs[0] < pdf, "nothing is installed before nox -s pdf"
    installed = set().union(*(_debian_packages(runs[i]) for i in installs))
    assert set(listed.group(1).split()) <= installed


def test_debian_packages_reads_continued_lines() -> None:
    script = (
        "sudo apt-get update\nsudo apt-get install -y -q \\\n  a b \\\n  c && echo d"
    )
    assert _debian_packages(script) == {"a", "b", "c"}


def test_deploy_workflow_caches_executed_notebooks() -> None:
    cache = next(
        s for s in _steps() if str(s.get("uses", "")).startswith("actions/cache")
    )
    settings = cache["with"]
    assert isinstance(settings, dict)
    assert settings["path"] == "docs/_build/.jupyter_cache"
    key = str(settings["key"])
    for source in ("constraints.txt", "docs/en/*.md", "docs/zh/*.md", "src/**/*.py"):
        assert source in key, f"cache key ignores {source}"
