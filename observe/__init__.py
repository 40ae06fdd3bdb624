"""What the service counts and how it is read: Prometheus metrics for requests and for the
books' events, in one process or across several workers.

A bottom-level package, like :mod:`i18n`: it imports nothing of ours, so the domain packages
may note what happened (points issued, a voucher consumed) without knowing of HTTP, and the
entry points may read it. Invariant: a domain event is counted once, and only after the
transaction it happened in committed (:func:`held`, which :func:`db.transaction` wraps around
every write transaction); a rolled-back or retried attempt counts nothing.
"""

from observe._counters import (
    POINTS_ISSUED,
    POINTS_REDEEMED,
    REQUEST_SECONDS,
    SHEETS_APPROVED,
    SIGN_IN_FAILURES,
    THROTTLED,
    VOUCHERS_CONSUMED,
    grid_of,
    known_method,
    points_issued,
    points_redeemed,
    points_returned,
    request_done,
    sheet_approved,
    sign_in_failed,
    voucher_consumed,
)
from observe._held import held, note
from observe._multiprocess import (
    MULTIPROC_VARIABLE,
    in_multiprocess_mode,
    prepare_multiprocess,
    scrape,
    worker_started,
)

__all__ = [
    "MULTIPROC_VARIABLE",
    "POINTS_ISSUED",
    "POINTS_REDEEMED",
    "REQUEST_SECONDS",
    "SHEETS_APPROVED",
    "SIGN_IN_FAILURES",
    "THROTTLED",
    "VOUCHERS_CONSUMED",
    "grid_of",
    "held",
    "in_multiprocess_mode",
    "known_method",
    "note",
    "points_issued",
    "points_redeemed",
    "points_returned",
    "prepare_multiprocess",
    "request_done",
    "scrape",
    "sheet_approved",
    "sign_in_failed",
    "voucher_consumed",
    "worker_started",
]
