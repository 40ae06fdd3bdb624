"""Slowing down a scanner credential that sends many invalid codes: someone guessing codes.

Invariants:

* a credential has at most ``limit`` scans in flight or refused as invalid (malformed, failed
  check character, or unknown) per window of ``window``: before a code is looked at, one
  atomic statement on the shared ``throttle`` table (:mod:`db.throttles`, scope ``scan``)
  takes one of the window's places or refuses; so 100 scans at once with unknown codes let
  exactly ``limit`` reach the lookup, in every worker process together, and a restart
  forgets nothing;
* a scan that turns out valid (or refused for any other reason than an invalid code) gives its
  place back, so honest scanning is never paused, while interleaving a real voucher does not
  reset a guesser's count;
* the window starts at the first counted scan and is fixed: a paused credential is told how
  long until it ends, never more than one window;
* the take and the give-back are each committed alone, apart from the scan between them: the
  take before the code is looked at (so every worker sees the place gone while the lookup
  runs, and a scan refused as invalid, whose own transaction rolls back, still counts), the
  give-back after the scan ended. Each is one statement (:func:`db.single_write`): on
  PostgreSQL it commits by itself, with no BEGIN and COMMIT round trips.

The code's 94 random bits are what make guessing hopeless; this only slows a guesser down.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

import db
from rewards.errors import TooManyInvalidCodes, VoucherCodeInvalid, VoucherNotFound

T = TypeVar("T")
P = ParamSpec("P")
SCOPE = "scan"
ATTEMPTS = 5


async def _alone(
    tx: db.Transactions,
    statement: Callable[Concatenate[db.Connection, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``statement`` (one write that is all-or-nothing by itself) committed on its own,
    retried on transient errors as a write transaction is (SQLite busy, a dropped connection)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with db.single_write(tx.engine) as conn:
                return await statement(conn, *args, **kwargs)
        except Exception as error:
            if attempt == ATTEMPTS or not db.is_transient(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class ScanThrottle:
    """The scan policy: ``limit`` invalid codes per ``window`` per credential key."""

    def __init__(self, *, limit: int = 10, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window

    async def _take(self, conn: db.Connection, key: str, now: datetime) -> db.throttles.Count:
        # A refused take changed nothing: reading the full row after it, apart, is only to
        # say how long the wait is.
        taken = await db.throttles.take_in_window(
            conn, SCOPE, key, limit=self.limit, window_start=now - self.window, now=now
        )
        if taken is not None:
            return taken
        row = await db.throttles.held(conn, SCOPE, key)
        assert row is not None  # a refusal means the row is there and full
        # A scan that started a moment after this one may have opened the window: its end
        # can lie a hair more than one window after this scan's ``now``. The wait told is
        # never longer than one window.
        until = row.first_at + self.window
        wait = min(until - now, self.window)
        raise TooManyInvalidCodes(max(1, math.ceil(wait.total_seconds())), until)

    async def _give_back(self, conn: db.Connection, key: str, taken: db.throttles.Count) -> None:
        await db.throttles.give_back(conn, SCOPE, key, taken)

    async def guarded(
        self, tx: db.Transactions, key: str, now: datetime, scan: Callable[[], Awaitable[T]]
    ) -> T:
        """Run ``scan`` (its own transaction) if ``key`` may scan now; raise
        :class:`TooManyInvalidCodes` if not. The place is taken by one statement committed on
        its own before, and given back by another after unless the code was invalid."""
        taken = await _alone(tx, self._take, key, now)
        try:
            result = await scan()
        except (VoucherCodeInvalid, VoucherNotFound):
            raise
        except BaseException:
            await _alone(tx, self._give_back, key, taken)
            raise
        await _alone(tx, self._give_back, key, taken)
        return result
