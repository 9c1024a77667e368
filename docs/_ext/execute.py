"""Execute the book's notebooks into the shared jupyter-cache, in parallel.

MyST-NB executes a page when Sphinx reads it, one page at a time, and Sphinx
``-j`` with a fresh jupyter-cache database races on table creation.  Instead,
before Sphinx starts, this module reads every page as MyST-NB would, keeps one
notebook per distinct set of code cells (the en and zh twins hash alike),
executes the ones the cache does not hold in a pool of worker processes, and
stores the results from this one process.  Sphinx then finds every page in
the cache and starts no kernel.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]


def _settings() -> Any:
    """The shared Sphinx configuration (also sets the kernels' environment)."""
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
    import conf  # noqa: PLC0415

    return conf


def read_notebook(path: Path) -> Any:
    """The notebook MyST-NB builds from a page (same cells, same metadata)."""
    from myst_nb.core.read import read_myst_markdown_notebook  # noqa: PLC0415
    from myst_parser.config.main import MdParserConfig  # noqa: PLC0415

    config = MdParserConfig(enable_extensions=set(_settings().myst_enable_extensions))
    text = path.read_text(encoding="utf-8")
    return read_myst_markdown_notebook(
        text, config=config, add_source_map=True, path=str(path)
    )


def _execute(path: str, nb: Any, timeout: int) -> tuple[str, Any, float, str | None]:
    """Worker: run one notebook in a fresh temporary folder."""
    from jupyter_cache.executors.utils import single_nb_execution  # noqa: PLC0415

    _settings()
    from kernel_ipc import use_ipc_transport  # noqa: PLC0415

    use_ipc_transport()
    with tempfile.TemporaryDirectory(prefix="d2l-prep-exec-") as cwd:
        result = single_nb_execution(nb, cwd=cwd, timeout=timeout, allow_errors=False)
    return path, result.nb, result.time, result.exc_string


def execute_missing(pages: list[Path], workers: int) -> bool:
    """Execute the pages missing from the cache; False if one of them fails."""
    from jupyter_cache import get_cache  # noqa: PLC0415
    from jupyter_cache.base import CacheBundleIn  # noqa: PLC0415

    conf = _settings()
    cache = get_cache(conf.nb_execution_cache_path)
    cache.list_cache_records()  # creates the database tables in this process only
    todo: dict[str, tuple[Path, Any]] = {}
    for page in pages:
        # Pages without code go through too: MyST-NB would otherwise start a
        # kernel for them, in both Sphinx processes at once.
        nb = read_notebook(page)
        _, digest = cache.create_hashed_notebook(nb)
        if digest in todo:
            continue
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo[digest] = (page, nb)
    # A notebook without code needs no kernel: it is its own executed copy.
    # (Starting a kernel just to shut it down can interrupt its start-up.)
    for digest, (page, nb) in list(todo.items()):
        if not any(cell.cell_type == "code" for cell in nb.cells):
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(page)), check_validity=False, overwrite=True
            )
            del todo[digest]
    if not todo:
        return True
    print(f"executing {len(todo)} notebook(s) with {workers} worker(s)", flush=True)
    start = time.perf_counter()
    ok = True
    with ProcessPoolExecutor(max_workers=min(workers, len(todo))) as pool:
        futures = [
            pool.submit(_execute, str(page), nb, conf.nb_execution_timeout)
            for page, nb in todo.values()
        ]
        for future in futures:
            path, nb, seconds, error = future.result()
            name = os.path.relpath(path, DOCS)
            if error is not None:
                ok = False
                print(
                    f"\nERROR: executing docs/{name} failed:\n{error}", file=sys.stderr
                )
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, path, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            print(f"executed docs/{name} in {seconds:.1f} s", flush=True)
    print(f"execution: {time.perf_counter() - start:.1f} s", flush=True)
    return ok
