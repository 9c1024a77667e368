"""Talk to the notebook kernels over IPC sockets instead of local TCP.

ipykernel warns that a kernel "is running over TCP without encryption" when
the kernel manager picks TCP, its default; a build log must carry no warning.
MyST-NB (through jupyter-cache and nbclient) gives no hook to configure the
kernel manager, so this process's ``KernelManager`` defaults to IPC.  Its
default socket path is relative (``kernel-ipc``) and would land in whichever
folder the kernel and the client each run in; here every kernel gets an
absolute path in Jupyter's runtime folder, which the manager cleans up.

This is a patch of jupyter_client's defaults, kept because no supported API
reaches the kernel manager MyST-NB creates; ``tests/engine/test_engine.py`` pins it.
``d2l_book/build.py`` does not need it: it executes every page itself, and
MyST-NB starts a kernel only in a plain ``sphinx-build`` run.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from sphinx.application import Sphinx


def _ipc_socket_prefix(self: KernelManager) -> str:
    runtime = jupyter_runtime_dir()
    if len(runtime) > 60:
        # A socket path must stay under ~100 bytes: use a short folder of
        # this user's (the manager removes the sockets, as in the runtime one).
        runtime = f"/tmp/d2l-prep-ipc-{os.getuid()}"
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    return os.path.join(runtime, f"kernel-{uuid.uuid4().hex}-ipc")


def use_ipc_transport() -> None:
    """Make every kernel started by this process use absolute IPC sockets."""
    if os.name != "posix":
        return  # zmq has no IPC transport on Windows: keep TCP there
    # nbclient uses the async manager; traitlets looks a default generator up
    # in the instance's own class first, so each class gets it.
    for cls in (KernelManager, AsyncKernelManager):
        cls.class_traits()["transport"].default_value = "ipc"
        cls._ip_default = _ipc_socket_prefix  # type: ignore[method-assign, assignment]


def setup(app: Sphinx) -> dict[str, Any]:
    use_ipc_transport()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
