"""The Sphinx extensions of the books: each module here has a ``setup(app)``
and is named in ``docs/conf.py``'s ``extensions`` (as ``d2l_book.sphinxext.X``)."""
