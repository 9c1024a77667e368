"""Talk to the notebook kernels over IPC sockets instead of local TCP.

ipykernel warns that a kernel "is running over TCP without encryption" when
the kernel manager picks TCP, its default; a build log must carry no warning.
MyST-NB (through jupyter-cache and nbclient) gives no hook to configure the
kernel manager, so this process's ``KernelManager`` defaults to IPC.  Its
default socket path is relative (``kernel-ipc``) and would land in whichever
folder the kernel and the client each run in; here every kernel gets an
absolute path in Jupyter's runtime folder, which the manager cleans up.
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
    os.makedirs(runtime, exist_ok=True)
    return os.path.join(runtime, f"kernel-{uuid.uuid4().hex}-ipc")


def use_ipc_transport() -> None:
    """Make every kernel started by this process use absolute IPC sockets."""
    # nbclient uses the async manager; traitlets looks a default generator up
    # in the instance's own class first, so each class gets it.
    for cls in (KernelManager, AsyncKernelManager):
        cls.class_traits()["transport"].default_value = "ipc"
        cls._ip_default = _ipc_socket_prefix  # type: ignore[method-assign]


def setup(app: Sphinx) -> dict[str, Any]:
    use_ipc_transport()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
