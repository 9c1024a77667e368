"""Keep each book's search index the same after a rebuild as after a cold build.

Sphinx updates ``searchindex.js`` incrementally: it loads the last index,
prunes the pages it writes again, and feeds them anew.  Two parts of that go
wrong in Sphinx 8, so a rebuilt book searched differently from a fresh one:

- the index entries (glossary terms, ``{index}`` targets) are not loaded
  back, so after a rebuild the index holds only the entries of the pages just
  written: none at all after a no-op build (sphinx-doc/sphinx#12599, open);
- pruning a page empties the page sets of its words but keeps the words, so
  a word that no page has any more stays in the index for good: a cell that
  printed 30 MB, once reverted, left a 31 MB ``searchindex.js`` behind.

Sphinx has no setting or event for either, and its ``IndexBuilder`` is not
public API, so this works on the written file, whose format Sphinx reads back
itself (``sphinx.search.js_index``): after each build it drops the words no
page has, and writes every page's index entries afresh, in page order, from
the index domain's data, which Sphinx keeps in its environment for every page
(rebuilt or not).  The result equals a cold build's, byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.search import js_index
from sphinx.util.index_entries import split_index_msg

ENTRY = tuple[str, str, str]  # (entry, target id, "main" or "")


def page_entries(raw: list[tuple[str, str, str, str, str | None]]) -> list[ENTRY]:
    """A page's index entries as the search index lists them.

    The same split as ``IndexBuilder.feed``, from the index domain's entries
    (type, value, target id, main, category key) instead of the doctree.
    """
    found: set[ENTRY] = set()
    for entry_type, value, target_id, main, _key in raw:
        try:
            parts = split_index_msg(entry_type, value)
        except ValueError:
            continue
        if entry_type in {"see", "seealso"}:
            found.add((parts[0], target_id or "", main))
        found |= {(part, target_id or "", main) for part in parts}
    return sorted(found)


def mend(
    index: dict[str, Any], domain_entries: dict[str, Any], unsearched: set[str]
) -> dict[str, Any]:
    """The index without wordless terms, with every page's index entries.

    ``unsearched``: the pages whose metadata says ``nosearch``, which Sphinx
    indexes empty.
    """
    for name in ("terms", "titleterms"):
        index[name] = {k: v for k, v in index[name].items() if v != []}
    entries: dict[str, list[tuple[int, str, bool]]] = {}
    for number, docname in enumerate(index["docnames"]):
        if docname in unsearched:
            continue
        for entry, target_id, main in page_entries(domain_entries.get(docname, [])):
            entries.setdefault(entry.lower(), []).append(
                (number, target_id, main == "main")
            )
    index["indexentries"] = entries
    return index


def _mend_written_index(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    path = Path(app.outdir) / "searchindex.js"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    domain_entries = app.env.get_domain("index").data.get("entries", {})
    unsearched = {
        docname
        for docname, meta in app.env.metadata.items()
        if "nosearch" in meta or "no-search" in meta
    }
    mended = js_index.dumps(mend(js_index.loads(text), domain_entries, unsearched))
    if mended != text:
        path.write_text(mended, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _mend_written_index)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
