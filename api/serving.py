"""What each worker process of ``passbook serve`` imports: :func:`worker_app` builds the app
from the environment's settings (``PASSBOOK_*``, :mod:`config`), which the parent process set.

Invariants:

* a worker holds nothing of its own that another worker would need to agree with (the parent
  migrated and loaded the demo before any worker started, and every worker reads the same
  environment);
* a worker never outlives the process that started it: on Linux it asks to be killed when
  its parent dies, so a crashed or SIGKILLed ``passbook serve`` leaves no orphan still
  holding the port;
* a SIGTERM that reaches a worker while it is still starting ends it: a worker granian forked
  would otherwise run the supervisor's own handler, which only takes note, and go on to serve
  while the supervisor waits for it forever. Granian sets its graceful handler once the
  worker serves. This module imports nothing heavy before that is done.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar import Litestar

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_app() -> Litestar:
    """The app one worker serves, with the settings of the environment it was started in."""
    _die_with_parent()
    for stop in (signal.SIGTERM, signal.SIGINT):
        if _supervisors_own(signal.getsignal(stop)):
            signal.signal(stop, signal.SIG_DFL)

    from api.app import create_app
    from config import Settings

    return create_app(Settings())


def proxied_worker_app() -> Any:
    """:func:`worker_app` for granian, which reads no proxy headers by itself: like uvicorn
    by default, the scheme and client address come from ``X-Forwarded-Proto`` and
    ``X-Forwarded-For`` only when the peer is in ``FORWARDED_ALLOW_IPS`` (default
    127.0.0.1, a proxy on the same machine); a client's own such headers change nothing."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    return wrap_asgi_with_proxy_headers(worker_app(), trusted_hosts=trusted)


def _supervisors_own(handler: object) -> bool:
    """Whether ``handler`` is the forking supervisor's (granian's), inherited by this worker;
    a server that installs its handler before it loads the app (uvicorn) keeps its own."""
    owner = getattr(handler, "__self__", None)
    return type(owner).__module__.startswith("granian.")


def _die_with_parent() -> None:
    if sys.platform != "linux":
        return
    parent = multiprocessing.parent_process()
    if parent is None:  # serving in the process that was started: nothing to outlive
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent.pid:  # the parent died before we asked
        os._exit(1)
