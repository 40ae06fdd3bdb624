"""Ballot tickets: the pseudonym under which an application appears on the public page.

Invariants protected here:

* a ticket is drawn by :mod:`secrets` when the application is made, 12 characters of the
  voucher alphabet (no look-alikes: no 0/O, 1/I/L), about 59 random bits; it is not derived
  from the passbook number or anything else, so knowing every passbook number (they are
  issued in sequence) tells nobody which of them applied;
* a ticket is unique within its ballot: one already taken there is drawn again (and the
  UNIQUE (ballot_id, pseudonym) constraint settles two concurrent applications that drew the
  same one: the loser's transaction is retried);
* the seed is committed to before any ticket exists, so the seed cannot be chosen to favour
  a ticket; tickets are public on the ballot's page from the moment they are issued, before
  the seed is revealed, so a ticket changed afterwards would show.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from rewards._codes import ALPHABET
from rewards._tables import ballot_application

TICKET_LENGTH = 12
"""Fits the application's pseudonym column (String(12))."""
TRIES = 8
"""Tickets drawn before giving up; a second is needed about once in 10^17 applications."""


def new_ticket() -> str:
    """A fresh ticket: 12 characters drawn by :mod:`secrets` from the voucher alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(TICKET_LENGTH))


def is_ticket(text: str) -> bool:
    return len(text) == TICKET_LENGTH and all(c in ALPHABET for c in text)


async def free_ticket(conn: AsyncConnection, ballot_id: int) -> str:
    """A fresh ticket that no application of ballot ``ballot_id`` has yet."""
    for _ in range(TRIES):
        ticket = new_ticket()
        taken = await conn.scalar(
            select(ballot_application.c.id).where(
                ballot_application.c.ballot_id == ballot_id,
                ballot_application.c.pseudonym == ticket,
            )
        )
        if taken is None:
            return ticket
    # Not a refusal to explain to anyone: the random source is broken.
    raise RuntimeError(f"{TRIES} tickets drawn for ballot {ballot_id} were all taken")
