"""Unit tests of the book's Sphinx extensions (d2l_book/sphinxext)."""

from __future__ import annotations

import pytest

from d2l_book.sphinxext.bilingual import counterpart_url
from d2l_book.sphinxext.clean_outputs import clean


@pytest.mark.parametrize(
    ("page", "book", "url"),
    [
        ("index", "zh", "../zh/index.html"),
        ("calculus", "en", "../en/calculus.html"),
        ("part/section", "zh", "../../zh/part/section.html"),
    ],
)
def test_counterpart_url_is_relative(page: str, book: str, url: str) -> None:
    assert counterpart_url(page, book) == url


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        (
            "File ~/.venv/lib/python3.11/site-packages/torch/_tensor.py:625, in f",
            "File torch/_tensor.py:625, in f",
        ),
        ("File /usr/lib/python3.11/inspect.py:12", "File inspect.py:12"),
        ("File /usr/lib/python3/dist-packages/foo.py:1", "File foo.py:1"),
        ("wrote /tmp/d2l-prep-exec-x1y2/data/house.csv", "wrote data/house.csv"),
        ("Cell In[3], line 1", "Cell In[3], line 1"),
        (
            "File /home/me/d2l-prep/src/d2l_prep/graph_draw.py:367, in draw_graph",
            "File d2l_prep/graph_draw.py:367, in draw_graph",
        ),
        ("File ~/src/other/src/d2l_prep/graphs.py:5", "File d2l_prep/graphs.py:5"),
    ],
)
def test_tracebacks_lose_machine_paths(text: str, cleaned: str) -> None:
    assert clean(text) == cleaned
