"""Each built page parsed once per test session, shared by the site's tests.

The tests of this folder read the same pages again and again (the 34 pages of
the site, 4.3 MB, take 4.4 s of CPU to parse with BeautifulSoup's
``html.parser``; lxml would save a tenth of that, the tree building being
BeautifulSoup's). :func:`tree` parses a page the first time a test asks for it
and hands the same tree to every later test, as long as the file is unchanged.

A shared tree is read, never changed (no ``decompose``, no attribute set): a
test that edits a page's markup edits its own copy, :func:`parse` of the text.
The site's conftest checks it after every test with :func:`changed_pages`.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

from bs4 import BeautifulSoup, CData, NavigableString, Tag

# (path, mtime, size) -> (the parsed page, its fingerprint when parsed).
_TREES: dict[tuple[Path, int, int], tuple[BeautifulSoup, bytes]] = {}
# The pages handed out since the last changed_pages().
_HANDED: set[tuple[Path, int, int]] = set()


def parse(html: str) -> BeautifulSoup:
    """``html`` parsed as every test of the site parses it: a tree of one's own."""
    return BeautifulSoup(html, "html.parser")


# Elements whose text is not prose: code, scripts, styles.
_NOT_PROSE = {"pre", "code", "script", "style"}


def prose(article: Tag) -> str:
    """The element's text (``get_text``) without its code, scripts and styles.

    What ``get_text`` gives after decomposing those elements, with the tree
    left as it is.
    """
    texts = []
    for node in article.descendants:
        if type(node) not in (NavigableString, CData):
            continue
        inside = itertools.takewhile(lambda tag: tag is not article, node.parents)
        if not any(tag.name in _NOT_PROSE for tag in inside):
            texts.append(str(node))
    return "".join(texts)


def fingerprint(tree: BeautifulSoup) -> bytes:
    """A digest of every tag (its name and attributes) and string, in order."""
    digest = hashlib.sha256()
    for node in tree.descendants:
        if isinstance(node, Tag):
            digest.update(repr((node.name, node.attrs)).encode())
        else:
            digest.update(b"\0" + str(node).encode())
    return digest.digest()


def tree(path: Path) -> BeautifulSoup:
    """The built page at ``path``, parsed; shared: read it, do not change it."""
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _TREES:
        parsed = parse(path.read_text(encoding="utf-8"))
        _TREES[key] = (parsed, fingerprint(parsed))
    _HANDED.add(key)
    return _TREES[key][0]


def changed_pages() -> list[str]:
    """The pages handed out since the last call whose tree was changed since.

    A changed tree is dropped (the next test gets the page parsed again).
    """
    changed = sorted(
        key for key in _HANDED if fingerprint(_TREES[key][0]) != _TREES[key][1]
    )
    for key in changed:
        del _TREES[key]
    _HANDED.clear()
    return [str(path) for path, _, _ in changed]
