"""Slowing down someone who guesses the check codes of printed passbook pages.

Invariants:

* one client address has at most :data:`WRONG_CODES_PER_WINDOW` checks that did not match per
  fixed window of :data:`WINDOW` (it starts at the first counted check): before a code is
  compared, one atomic statement on the shared ``throttle`` table (:mod:`db.throttles`,
  scope :data:`SCOPE`) takes one of the window's places or refuses, so checks at once from
  many worker processes cannot compare more codes than that, and a restart forgets nothing;
* a check that matches gives its place back, in the same transaction: a grid worker checking
  a pile of genuine pages is never paused, while a guesser's count only grows;
* a refused check compares nothing and changes nothing; it is told how long to wait.

Forty bits of chain hash are what make guessing hopeless (at 10 tries per 10 minutes an
address needs about two million years for an even chance at one line); this only keeps it so.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import db
from community.errors import TooManyCheckCodes

SCOPE = "check_code"
WRONG_CODES_PER_WINDOW = 10
WINDOW = timedelta(minutes=10)


async def take_place(conn: AsyncConnection, address: str, now: datetime) -> db.throttles.Count:
    """Take one of ``address``'s places for a check; :class:`TooManyCheckCodes` if none is
    left in this window."""
    taken = await db.throttles.take_in_window(
        conn, SCOPE, address, limit=WRONG_CODES_PER_WINDOW, window_start=now - WINDOW, now=now
    )
    if taken is not None:
        return taken
    row = await db.throttles.held(conn, SCOPE, address)
    assert row is not None  # a refusal means the row is there and full
    until = row.first_at + WINDOW
    raise TooManyCheckCodes(max(1, math.ceil((until - now).total_seconds())))


async def give_back(conn: AsyncConnection, address: str, taken: db.throttles.Count) -> None:
    """The check matched: it does not count."""
    await db.throttles.give_back(conn, SCOPE, address, taken)
