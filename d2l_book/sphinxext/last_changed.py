"""Each page's footer says when its source last changed, from git.

The date is that of the last commit that changed the page's ``.md``
(``git log -1 --format=%cs -- <page>``), so the same commit gives the same
pages whenever and wherever it is built.  A page with no such date shows
none: one that is untracked or changed since its last commit (its date is
not yet known), one whose only commit is the boundary of a shallow clone
(its real date is older), and every page of a book built outside a git
checkout (an sdist, a tarball) or where git is missing.  Never the build's
own time, which Sphinx's ``html_last_updated_fmt`` would show.

Sphinx writes a page again only when its source changes, not when a commit
changes its date, so :func:`_outdated` asks for the pages whose date differs
from the one they were written with: a build after a commit writes what a
cold build of that commit writes.

The date goes to furo's footer through the ``last_updated`` context value;
its sentence is furo's ("Last updated on 2026-12-01"), in Chinese from the
book's interface catalogue (「最后修改于 2026-12-01」, ``ui_locale``).
sphinx-last-updated-by-git reads the same from git, but (as of the source read,
0.2.0) raises an error outside a git checkout and leaves a page unwritten when
only a commit changed its date; its date is the author's, not the committer's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

# The seconds one git command may take before the page gets no date.
GIT_TIMEOUT = 30


def _git(folder: Path, *args: str) -> str | None:
    """git's output in ``folder``; None if git is missing or fails."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _changed_since_commit(folder: Path) -> set[str] | None:
    """Files of ``folder`` (its relative paths) git has uncommitted changes to.

    None outside a git checkout (or without git).
    """
    inside = _git(folder, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != "true":
        return None
    status = _git(
        folder, "status", "--porcelain", "-z", "--untracked-files=all", "--", "."
    )
    if status is None:
        return None
    prefix = (_git(folder, "rev-parse", "--show-prefix") or "").strip()
    changed = set()
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        if entry[0] in "RC":  # a rename's source path follows: skip it
            next(entries, None)
        path = entry[3:]
        if path.startswith(prefix):
            changed.add(path[len(prefix) :])
    return changed


def page_dates(folder: Path, names: list[str]) -> dict[str, str]:
    """The date (``YYYY-MM-DD``) each page of ``folder`` last changed in git.

    ``names`` are the pages' file names relative to ``folder``; pages without
    a date (see the module's docstring) are left out.
    """
    changed = _changed_since_commit(folder)
    if changed is None:
        return {}
    shallow = (_git(folder, "rev-parse", "--is-shallow-repository") or "").strip()
    dates = {}
    for name in names:
        if name in changed:
            continue
        found = (_git(folder, "log", "-1", "--format=%cs %P", "--", name) or "").split()
        if not found or (len(found) == 1 and shallow == "true"):
            continue  # never committed, or only in a shallow clone's first commit
        dates[name] = found[0]
    return dates


def _dates(app: Sphinx, env: BuildEnvironment) -> dict[str, str]:
    """docname -> date for every page of the book (computed once per build)."""
    if not hasattr(app, "_d2l_last_changed"):
        names = {env.doc2path(doc, False).as_posix(): doc for doc in env.found_docs}
        found = page_dates(Path(app.srcdir), sorted(names))
        app._d2l_last_changed = {names[n]: date for n, date in found.items()}  # type: ignore[attr-defined]
    return app._d2l_last_changed  # type: ignore[attr-defined,no-any-return]


def _outdated(
    app: Sphinx,
    env: BuildEnvironment,
    added: set[str],
    changed: set[str],
    removed: set[str],
) -> list[str]:
    """The pages whose date changed since they were written."""
    dates = _dates(app, env)
    written: dict[str, str] = getattr(env, "d2l_last_changed", {})
    env.d2l_last_changed = dict(dates)  # type: ignore[attr-defined]
    return sorted(
        doc
        for doc in env.found_docs - added - changed - removed
        if written.get(doc) != dates.get(doc)
    )


def _page_context(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: Any,
) -> None:
    context["last_updated"] = _dates(app, app.env).get(pagename)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-get-outdated", _outdated)
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
