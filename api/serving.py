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
    _stop_when_told_while_starting()

    import observe
    from api.app import create_app
    from api.observing import log_requests_to
    from config import Settings

    observe.worker_started()  # count into the workers' shared metrics, if several serve
    log_requests_to()  # one JSON line a request, on the worker's stderr
    return create_app(Settings())


def proxied_worker_app() -> Any:
    """:func:`worker_app` for granian, which reads no proxy headers by itself: like uvicorn
    by default, the scheme and client address come from ``X-Forwarded-Proto`` and
    ``X-Forwarded-For`` only when the peer is in ``FORWARDED_ALLOW_IPS`` (default
    127.0.0.1, a proxy on the same machine); a client's own such headers change nothing."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    return wrap_asgi_with_proxy_headers(worker_app(), trusted_hosts=trusted)


_STOPS = {signal.SIGTERM, signal.SIGINT}


def _stop_when_told_while_starting() -> None:
    """In a worker granian forked, which inherited the supervisor's handler (it only notes
    the signal, on the supervisor's object): exit if a stop was noted already, and let one
    that comes while the app loads end the worker. Stops are blocked meanwhile, so none
    falls between the two. A server that installs its own handler before it loads the app
    (uvicorn) keeps it."""
    supervisor = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    if not type(supervisor).__module__.startswith("granian."):
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)  # runs any handler already due
    try:
        if getattr(supervisor, "interrupt_signal", False):
            os._exit(0)
        for stop in _STOPS:
            signal.signal(stop, signal.SIG_DFL)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)  # a pending stop ends us here


def _die_with_parent() -> None:
    if sys.platform != "linux":
        return
    parent = multiprocessing.parent_process()
    if parent is None:  # serving in the process that was started: nothing to outlive
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent.pid:  # the parent died before we asked
        os._exit(1)
