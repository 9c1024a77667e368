"""The execution step: the pages' notebooks run once, before Sphinx, into the
shared jupyter-cache (``execute``), with forked or launched kernels
(``kernels``), each confined and limited (``sandbox``); ``jobs`` reads the
pages into notebooks to run, ``outcomes`` says how each run ended, and
``exec_cache`` keeps the cache sound."""
