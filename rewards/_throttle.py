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
  long until it ends.

The code's 94 random bits are what make guessing hopeless; this only slows a guesser down.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

import db
from rewards.errors import TooManyInvalidCodes, VoucherCodeInvalid, VoucherNotFound

T = TypeVar("T")
SCOPE = "scan"


class ScanThrottle:
    """The scan policy: ``limit`` invalid codes per ``window`` per credential key."""

    def __init__(self, *, limit: int = 10, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window

    async def _take(self, conn: db.Connection, key: str, now: datetime) -> db.throttles.Count:
        taken = await db.throttles.take_in_window(
            conn, SCOPE, key, limit=self.limit, window_start=now - self.window, now=now
        )
        if taken is not None:
            return taken
        row = await db.throttles.held(conn, SCOPE, key)
        assert row is not None  # a refusal means the row is there and full
        until = row.first_at + self.window
        raise TooManyInvalidCodes(max(1, math.ceil((until - now).total_seconds())), until)

    async def _give_back(self, conn: db.Connection, key: str, taken: db.throttles.Count) -> None:
        await db.throttles.give_back(conn, SCOPE, key, taken)

    async def guarded(
        self, tx: db.Transactions, key: str, now: datetime, scan: Callable[[], Awaitable[T]]
    ) -> T:
        """Run ``scan`` (its own transaction) if ``key`` may scan now; raise
        :class:`TooManyInvalidCodes` if not. The place is taken in a short transaction of its
        own before, and given back after unless the code was invalid."""
        taken = await tx.write(self._take, key, now)
        try:
            result = await scan()
        except (VoucherCodeInvalid, VoucherNotFound):
            raise
        except BaseException:
            await tx.write(self._give_back, key, taken)
            raise
        await tx.write(self._give_back, key, taken)
        return result
