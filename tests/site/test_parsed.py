"""The site's tests share each parsed page (parsed.py), and see when one changes it."""

from __future__ import annotations

from pathlib import Path

from tests.site import parsed


def test_a_page_is_parsed_once_and_a_change_to_it_is_seen(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p class='a'>one</p><p>two</p>", encoding="utf-8")
    tree = parsed.tree(page)
    assert parsed.tree(page) is tree
    assert parsed.changed_pages() == []
    tree.find("p")["class"] = "b"
    assert parsed.tree(page) is tree
    assert parsed.changed_pages() == [str(page.resolve())]
    again = parsed.tree(page)  # the changed tree is dropped: parsed again
    assert again is not tree and again.find("p")["class"] == ["a"]
    again.find("p").decompose()
    assert parsed.changed_pages() == [str(page.resolve())]


def test_a_rewritten_page_is_parsed_again(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p>one</p>", encoding="utf-8")
    assert parsed.tree(page).get_text() == "one"
    page.write_text("<p>one, two</p>", encoding="utf-8")
    assert parsed.tree(page).get_text() == "one, two"
    assert parsed.changed_pages() == []


def test_prose_is_get_text_without_code_scripts_and_styles() -> None:
    html = (
        "<div><article><p>A <code>x</code> b<!-- c --></p><pre>d</pre>"
        "<script>e</script><style>f</style><![CDATA[g]]>h</article></div>"
    )
    tree = parsed.parse(html)
    decomposed = parsed.parse(html)
    for tag in decomposed.find_all(["pre", "code", "script", "style"]):
        tag.decompose()
    assert parsed.prose(tree.article) == decomposed.article.get_text() == "A  bgh"
