"""The interface catalogue (d2l_book/sphinxext/ui_locale.py, d2l_book/sphinxext/api_origin.py)."""

from __future__ import annotations

import gettext
import json
import shutil
from pathlib import Path

from d2l_book.sphinxext import api_origin, ui_locale
from tests.book import DOCS


def test_prepare_compiles_into_the_target_only(tmp_path: Path) -> None:
    before = sorted(p.name for p in (DOCS / "locales").rglob("*"))
    assert ui_locale.prepare("zh_CN", tmp_path) == [str(tmp_path)]
    assert sorted(p.name for p in (DOCS / "locales").rglob("*")) == before
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    with (folder / "sphinx.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("On this page") == "本页目录"
    assert catalogue.gettext("Toggle Light / Dark / Auto color theme") != (
        "Toggle Light / Dark / Auto color theme"
    )
    text = (folder / "sphinx.js").read_text(encoding="utf-8")
    messages = json.loads(ui_locale._JS_CATALOGUE.search(text)["json"])["messages"]
    # Sphinx's own JavaScript strings are kept, ours are added.
    assert messages["Search Results"] == "搜索结果"
    assert messages["Search finished, found one page matching the search query."] == [
        "搜索完成，找到 ${resultCount} 个匹配的页面。"
    ]
    assert "On this page" not in messages  # a template string, not a JS one


def test_prepare_without_a_catalogue(tmp_path: Path) -> None:
    assert ui_locale.prepare("en", tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_a_rebuild_leaves_the_compiled_files_alone(tmp_path: Path) -> None:
    ui_locale.prepare("zh_CN", tmp_path)
    mo = tmp_path / "zh_CN" / "LC_MESSAGES" / "sphinx.mo"
    stamp = mo.stat().st_mtime_ns
    ui_locale.prepare("zh_CN", tmp_path)
    assert mo.stat().st_mtime_ns == stamp


def test_an_edited_catalogue_is_compiled_again(tmp_path: Path) -> None:
    """Compiled once, the catalogue is read again only once it changes."""
    source, target = tmp_path / "locales", tmp_path / "compiled"
    shutil.copytree(DOCS / "locales", source)
    ui_locale.prepare("zh_CN", target, source)
    po = ui_locale.catalogue("zh_CN", source)
    text = po.read_text(encoding="utf-8")
    assert 'msgstr "本页目录"' in text
    po.write_text(text.replace('msgstr "本页目录"', 'msgstr "本页内容"'), "utf-8")
    ui_locale.prepare("zh_CN", target, source)
    with (target / "zh_CN" / "LC_MESSAGES" / "sphinx.mo").open("rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("On this page") == "本页内容"


def test_furo_labels_become_translatable() -> None:
    source = (
        '<button aria-label="Toggle Light / Dark / Auto color theme">'
        '<a aria-label="{{ icon_dict.name }}"><title>Menu</title>'
        '<a href="https://pradyunsg.me">@pradyunsg</a>\'s'
    )
    assert ui_locale.translatable(source) == (
        "<button aria-label=\"{{ _('Toggle Light / Dark / Auto color theme') }}\">"
        "<a aria-label=\"{{ icon_dict.name }}\"><title>{{ _('Menu') }}</title>"
        '<a href="https://pradyunsg.me">@pradyunsg</a>{{ _("\'s") }}'
    )


def test_every_module_has_an_origin_in_each_book() -> None:
    for book in ("en", "zh"):
        origins = api_origin.module_origins(book)
        assert {"plotting", "gradients", "data", "graphs"} <= set(origins)
        assert all(section for _page, section in origins.values())
    assert api_origin.module_origins("zh")["gradients"][0] == "calculus"
    assert (
        api_origin.module_origins("zh")["gradients"][1]
        != (api_origin.module_origins("en")["gradients"][1])
    )
