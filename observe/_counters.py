"""The service's metrics: request latency by route, and the books' events.

Invariant: every label has few values, fixed by the books or the code (a route's path
template, an HTTP method the service knows, a status, a grid's code, a merchant's code, a
refusal's code), never a value a client writes (a raw path, a passbook number, a phone); so a
client cannot grow the series without bound, and no person shows in a metric. The domain's
counters go through :func:`observe.note`, so they count committed facts only.
"""

from __future__ import annotations

import warnings

from prometheus_client import Counter, Histogram

from observe._held import note
from observe._memory import WORKER_MEMORY, note_memory

REQUEST_SECONDS = Histogram(
    "passbook_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
THROTTLED = Counter(
    "passbook_throttled_requests",
    "Requests answered 429 (a throttle made the caller wait), by route template.",
    ["route"],
)
POINTS_ISSUED = Counter(
    "passbook_points_issued",
    "Points posted to passbooks, by grid and source (sheet: an approved scoring sheet, "
    "incentive: its bonuses, grant: a confirmed opening balance or adjustment).",
    ["grid", "source"],
)
POINTS_REDEEMED = Counter(
    "passbook_points_redeemed",
    "Points exchanged for vouchers (held at redemption), by the holder's grid.",
    ["grid"],
)
POINTS_RETURNED = Counter(
    "passbook_points_returned",
    "Points of redeemed vouchers given back unused, by the holder's grid (when given back) and "
    "why (cancelled, expired): redeemed minus returned is what was exchanged.",
    ["grid", "why"],
)
VOUCHERS_CONSUMED = Counter(
    "passbook_vouchers_consumed",
    "Vouchers used at a merchant (their points settled to it), by merchant code.",
    ["merchant"],
)
SHEETS_APPROVED = Counter("passbook_sheets_approved", "Scoring sheets approved, by grid.", ["grid"])
SIGN_IN_FAILURES = Counter(
    "passbook_sign_in_failures",
    "Sign-ins refused, by the refusal's code: with a PIN (a wrong number or PIN, a wait, "
    "a volunteer moved away) or with a sign-in code (a code that does not work, a wait).",
    ["reason"],
)

_ALL = (
    REQUEST_SECONDS,
    THROTTLED,
    POINTS_ISSUED,
    POINTS_REDEEMED,
    POINTS_RETURNED,
    VOUCHERS_CONSUMED,
    SHEETS_APPROVED,
    SIGN_IN_FAILURES,
    WORKER_MEMORY,
)
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
# One histogram child per (route, method, status), found by one dict look-up per request.
_children: dict[tuple[str, str, int], Histogram] = {}  # children are Histograms too


def known_method(method: str) -> str:
    """``method`` if the service knows it, else ``other`` (a client may send any word)."""
    return method if method in _METHODS else "other"


def request_done(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (its latency; a 429 as throttled too). ``route`` is the
    path template, never the raw path; ``method`` one :func:`known_method` let through."""
    key = (route, method, status)
    child = _children.get(key)
    if child is None:
        child = REQUEST_SECONDS.labels(route, known_method(method), str(status))
        _children[key] = child
    child.observe(seconds)
    note_memory()
    if status == 429:
        THROTTLED.labels(route).inc()


def forget_counted() -> None:
    """Drop every series this process made (a new worker begins from nothing; its new
    series take the value class in force then)."""
    # prometheus-client warns that clearing is not implemented in multiprocess mode: it means
    # the files of other processes, which this never touches; what is dropped here is this
    # process's own series, made before it counted into the files.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Clearing labels has not been implemented")
        for metric in _ALL:
            metric.clear()
    _children.clear()


def grid_of(path: str) -> str:
    """A grid's code from its path (``street/community/grid``)."""
    return path.rsplit("/", 1)[-1]


def points_issued(grid: str, source: str, points: int) -> None:
    """``points`` posted to passbooks of ``grid`` (counted once committed); a negative
    adjustment issues nothing and is not counted (a counter only goes up)."""
    if points > 0:
        note(lambda: POINTS_ISSUED.labels(grid, source).inc(points))


def points_redeemed(grid: str, points: int) -> None:
    """``points`` of a passbook of ``grid`` exchanged for vouchers (counted once committed)."""
    note(lambda: POINTS_REDEEMED.labels(grid).inc(points))


def points_returned(grid: str, why: str, points: int) -> None:
    """``points`` of a redeemed voucher of a passbook of ``grid`` given back unused, ``why``
    (``cancelled`` or ``expired``; counted once committed)."""
    note(lambda: POINTS_RETURNED.labels(grid, why).inc(points))


def voucher_consumed(merchant: str) -> None:
    """A voucher used at ``merchant`` (counted once committed)."""
    note(lambda: VOUCHERS_CONSUMED.labels(merchant).inc())


def sheet_approved(grid: str) -> None:
    """A scoring sheet of ``grid`` approved (counted once committed)."""
    note(lambda: SHEETS_APPROVED.labels(grid).inc())


def sign_in_failed(reason: str) -> None:
    """A sign-in (PIN or sign-in code) refused with the code ``reason`` (counted once the
    attempt's own count is committed)."""
    note(lambda: SIGN_IN_FAILURES.labels(reason).inc())
