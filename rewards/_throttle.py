"""Slowing down a scanner credential that sends many invalid codes: someone guessing codes.

Invariant: a credential that sent ``limit`` invalid codes (malformed, failed check character,
or unknown) within ``window`` is refused every scan until the oldest of them leaves the
window, and is told how long to wait. Valid scans do not wipe the count, so interleaving a
real voucher does not reset a guesser. The count is per service process: it slows a guesser
down, while the code's 94 random bits are what make guessing hopeless.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

from rewards.errors import TooManyInvalidCodes


class ScanThrottle:
    def __init__(self, *, limit: int = 10, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def check(self, key: str, now: datetime) -> None:
        """Raise :class:`TooManyInvalidCodes` if ``key`` must wait before scanning again."""
        failures = self._recent(key, now)
        if len(failures) >= self.limit:
            until = failures[len(failures) - self.limit] + self.window
            raise TooManyInvalidCodes(max(1, math.ceil((until - now).total_seconds())), until)

    def record_failure(self, key: str, now: datetime) -> None:
        failures = self._recent(key, now)
        failures.append(now)
        self._failures[key] = failures
