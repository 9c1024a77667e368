"""The book's build engine: ``python -m d2l_book build|serve|pdf|save``.

Not part of the ``d2l_prep`` package (``src/d2l_prep``, the runtime readers
install): it turns ``docs/`` (the content) into the site, the PDFs and the
package's generated modules.  ``settings`` holds every path and setting,
``sphinxext`` the Sphinx extensions, ``execution`` the kernels and the cache.
"""
