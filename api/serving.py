"""What each worker process of ``passbook serve`` imports: :func:`worker_app` builds the app
from the environment's settings (``PASSBOOK_*``, :mod:`config`), which the parent process set.

Invariants: a worker holds nothing of its own that another worker would need to agree with
(the parent migrated and loaded the demo before any worker started, and every worker reads
the same environment); and a worker never outlives the process that started it: on Linux it
asks to be killed when its parent dies, so a crashed or SIGKILLed ``passbook serve`` leaves
no orphan still holding the port.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys

from litestar import Litestar

from api.app import create_app
from config import Settings

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_app() -> Litestar:
    """The app one worker serves, with the settings of the environment it was started in."""
    _die_with_parent()
    return create_app(Settings())


def _die_with_parent() -> None:
    if sys.platform != "linux":
        return
    parent = multiprocessing.parent_process()
    if parent is None:  # serving in the process that was started: nothing to outlive
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent.pid:  # the parent died before we asked
        os._exit(1)
