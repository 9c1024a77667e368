"""The book's sources as the engine, the #@save tool and the tests read them.

- :mod:`~d2l_book.sources.cells`: a page's code cells (fences, options, tags),
  and the rule that closes a fence;
- :mod:`~d2l_book.sources.twins`: a page's prose lines, headings and labels,
  and how an en page and its zh twin must agree;
- :mod:`~d2l_book.sources.contents`: each book's toctrees and its chapters.

They need only the standard library (``nox -s save`` runs without Sphinx).
"""
