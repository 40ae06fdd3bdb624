"""A sign-in attempt in three steps, and the policy that slows guessers without locking anyone
out.

Invariants:

* no scrypt hash is ever computed inside a transaction or with a pooled connection checked
  out: :func:`begin_attempt` (one short write transaction) counts the attempt and reads what
  the hash needs, :func:`run_hash` hashes in a worker thread with no connection held, and
  :func:`finish_attempt` (another short write transaction) records a success;
* how many attempts and hashes run at once, and how a flood is refused cheaply, is
  :mod:`community._signin_load`'s;
* every attempt is counted before its PIN is checked, in the shared ``throttle`` table by one
  atomic statement per scope, so concurrent attempts cannot check more PINs than the policy
  allows, in every worker process and across restarts: per client address, and per passbook
  number whether that number exists or not, so an unknown number is throttled and answered
  exactly like a wrong PIN;
* there is no lock: after a few free tries each further attempt waits (doubling, at most
  :data:`MAX_WAIT`); a sign-in from a device the volunteer signed in from before (the
  ``device`` value a successful sign-in returned) is not slowed by the number's or the
  address's waits, only by that device's own, so an attacker's guesses never keep the owner
  out; the grid worker can clear a number's wait (:func:`clear_number_wait`), as a PIN reset
  does;
* while an attempt must wait, no PIN is checked at all, the right one included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import db
from community import _signin
from community._cleaning import normalise_passbook_number
from community._devices import device_used, known_device
from community._tables import volunteer
from community._volunteers import Volunteer, VolunteerStatus, get_volunteer
from community.errors import (
    InvalidPerson,
    InvalidPin,
    RegistryError,
    SignInFailed,
    SignInThrottled,
    VolunteerMovedAway,
)

# --- The policy -------------------------------------------------------------------------------
THROTTLE_AFTER_FAILURES = 3
"""After this many wrong PINs in a row for one number, every further attempt waits."""
THROTTLE_FIRST_WAIT = timedelta(seconds=30)
"""The number's first wait; it doubles with each further wrong PIN (30 s, 60 s, 2 min...)."""
ADDRESS_FREE_FAILURES = 20
"""Wrong sign-ins one client address may make before each further one waits (a community
centre's volunteers may share one address)."""
ADDRESS_FIRST_WAIT = timedelta(seconds=5)
"""The address's first wait; it doubles likewise."""
MAX_WAIT = timedelta(minutes=15)
"""No wait is longer than this: slowed, never locked out."""
FORGET_AFTER = timedelta(hours=24)
"""A number's or device's count with no attempt for this long starts over."""
ADDRESS_FORGET_AFTER = timedelta(hours=1)
"""An address's count with no attempt for this long starts over."""
ADDRESS_SCOPE = "sign-in:address"
NUMBER_SCOPE = _signin.NUMBER_SCOPE
DEVICE_SCOPE = "sign-in:device"


def wait_after(
    failures: int, *, free: int = THROTTLE_AFTER_FAILURES, first: timedelta = THROTTLE_FIRST_WAIT
) -> timedelta:
    """How long the next attempt waits after ``failures`` counted attempts."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 20)
    wait: timedelta = min(first * 2**doublings, MAX_WAIT)
    return wait


def _policy(scope: str) -> tuple[int, timedelta]:
    if scope == ADDRESS_SCOPE:
        return ADDRESS_FREE_FAILURES, ADDRESS_FIRST_WAIT
    return THROTTLE_AFTER_FAILURES, THROTTLE_FIRST_WAIT


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the first step found: what to hash against, and what it counted (to clear or give
    back after); or the refusal, when the attempt must wait."""

    number: str
    volunteer_id: int | None
    stored_hash: str
    device_id: int | None
    counted: tuple[tuple[str, str, db.throttles.Count], ...]
    refusal: RegistryError | None
    address_wait_until: datetime | None = None
    """Until when the client address must wait after this attempt, if it must."""


@dataclass(frozen=True, slots=True)
class SignInCheck:
    """What checking a PIN came to: the volunteer when it is right, otherwise the refusal."""

    volunteer: Volunteer | None
    refusal: RegistryError | None


def failed() -> SignInFailed:
    return SignInFailed(
        "The passbook number or the PIN is wrong. Check the number on the passbook's cover and "
        "try again. If you have no PIN yet, or forgot it, ask your grid worker to set one."
    )


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def throttled(until: datetime | None, now: datetime) -> SignInThrottled:
    seconds = _seconds((until - now) if until is not None else timedelta(seconds=1))
    return SignInThrottled(
        f"Too many wrong sign-ins: wait {seconds} seconds before trying again. On a phone or "
        "browser you signed in from before, you can sign in at once; if you are not sure of "
        "the PIN, ask your grid worker to reset it.",
        retry_after=seconds,
    )


def valid_number(passbook_number: str, pin: str) -> str:
    """The normalised number; a malformed number or PIN is refused at once, counting nothing."""
    number = normalise_passbook_number(passbook_number)
    if not _signin.NUMBER_PATTERN.fullmatch(number):
        raise InvalidPerson(
            "A passbook number is 3-32 capital letters, digits or dashes, as printed on the "
            "passbook's cover (for example YZS1-0001)."
        )
    if not _signin.PIN_PATTERN.fullmatch(pin):
        raise InvalidPin(
            f"A PIN is {_signin.PIN_MIN_DIGITS} to {_signin.PIN_MAX_DIGITS} digits (0-9), "
            "nothing else."
        )
    return number


async def _count(
    conn: AsyncConnection, scope: str, key: str, now: datetime
) -> tuple[db.throttles.Count | SignInThrottled, datetime | None]:
    """Count one attempt for ``key``, or the refusal when it must wait; and until when the key
    must wait after it."""
    forget = ADDRESS_FORGET_AFTER if scope == ADDRESS_SCOPE else FORGET_AFTER
    counted = await db.throttles.count_unless_blocked(
        conn, scope, key, forget_before=now - forget, now=now
    )
    if counted is None:
        row = await db.throttles.held(conn, scope, key)
        until = row.blocked_until if row else None
        return throttled(until, now), until
    free, first = _policy(scope)
    wait = wait_after(counted.failures, free=free, first=first)
    until = now + wait if wait else None
    await db.throttles.block_until(conn, scope, key, until)
    return counted, until


async def begin_attempt(
    conn: AsyncConnection,
    *,
    passbook_number: str,
    pin: str,
    address: str,
    device: str | None,
    now: datetime,
) -> Attempt:
    """Step 1 (a short write transaction): count the attempt against the device, or the
    address and the number, unless one must wait; read the stored hash (a decoy for an unknown
    number or one with no PIN). Commit it even when the attempt is refused."""
    number = valid_number(passbook_number, pin)
    row = (
        await conn.execute(
            select(volunteer.c.id, volunteer.c.pin_hash).where(
                volunteer.c.passbook_number == number
            )
        )
    ).first()
    volunteer_id = None if row is None else int(row.id)
    stored = row.pin_hash if row is not None and row.pin_hash else _signin.decoy_hash()
    device_id = None if volunteer_id is None else await known_device(conn, volunteer_id, device)
    keys = (
        [(DEVICE_SCOPE, str(device_id))]
        if device_id is not None
        else [(ADDRESS_SCOPE, address[:160]), (NUMBER_SCOPE, number)]
    )
    counted: list[tuple[str, str, db.throttles.Count]] = []
    address_until: datetime | None = None
    for scope, key in keys:
        outcome, until = await _count(conn, scope, key, now)
        if scope == ADDRESS_SCOPE:
            address_until = until
        if isinstance(outcome, SignInThrottled):
            return Attempt(
                number, volunteer_id, stored, device_id, tuple(counted), outcome, address_until
            )
        counted.append((scope, key, outcome))
        if scope == NUMBER_SCOPE and volunteer_id is not None:
            wait = wait_after(outcome.failures)
            await conn.execute(
                update(volunteer)
                .where(volunteer.c.id == volunteer_id)
                .values(
                    pin_failures=outcome.failures,
                    pin_last_failure_at=now,
                    pin_locked_until=now + wait if wait else None,
                )
            )
    return Attempt(number, volunteer_id, stored, device_id, tuple(counted), None, address_until)


async def finish_attempt(
    conn: AsyncConnection, attempt: Attempt, *, matched: bool, stored_seen: str, now: datetime
) -> SignInCheck:
    """Step 3 (a short write transaction, only for a right PIN): clear what the attempt
    counted and hand back the volunteer. A PIN reset between the steps makes it wrong."""
    if not matched or attempt.volunteer_id is None:
        return SignInCheck(None, failed())
    current = await conn.scalar(
        select(volunteer.c.pin_hash).where(volunteer.c.id == attempt.volunteer_id)
    )
    if current != stored_seen:
        return SignInCheck(None, failed())
    for scope, key, counted in attempt.counted:
        if scope == ADDRESS_SCOPE:
            await db.throttles.give_back(conn, scope, key, counted)
        else:
            await db.throttles.forget(conn, scope, key)
    if attempt.device_id is None:
        await conn.execute(
            update(volunteer)
            .where(volunteer.c.id == attempt.volunteer_id)
            .values(pin_failures=0, pin_last_failure_at=None, pin_locked_until=None)
        )
    else:
        await device_used(conn, attempt.device_id, now)
    found = await get_volunteer(conn, attempt.number)
    if found.status is not VolunteerStatus.ACTIVE:
        return SignInCheck(
            None,
            VolunteerMovedAway(
                f"Passbook {attempt.number} is marked as moved away, so it cannot sign in. If "
                "you live here again, ask your grid worker to mark it active."
            ),
        )
    return SignInCheck(found, None)


async def clear_number_wait(conn: AsyncConnection, number: str) -> Volunteer:
    """The grid worker's unlock: clear the number's count of wrong PINs and its wait, without
    changing the PIN."""
    found = await get_volunteer(conn, number, for_update=True)
    await db.throttles.forget(conn, NUMBER_SCOPE, found.passbook_number)
    await conn.execute(
        update(volunteer)
        .where(volunteer.c.id == found.id)
        .values(pin_failures=0, pin_last_failure_at=None, pin_locked_until=None)
    )
    return await get_volunteer(conn, found.passbook_number)


__all__ = [
    "ADDRESS_FIRST_WAIT",
    "ADDRESS_FREE_FAILURES",
    "ADDRESS_SCOPE",
    "DEVICE_SCOPE",
    "FORGET_AFTER",
    "MAX_WAIT",
    "NUMBER_SCOPE",
    "THROTTLE_AFTER_FAILURES",
    "THROTTLE_FIRST_WAIT",
    "Attempt",
    "SignInCheck",
    "begin_attempt",
    "clear_number_wait",
    "failed",
    "finish_attempt",
    "throttled",
    "valid_number",
    "wait_after",
]
