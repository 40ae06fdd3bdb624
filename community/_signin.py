"""Volunteer sign-in by passbook number and PIN, and the policy against guessing PINs.

Invariants:

* a PIN is stored only as a salted scrypt hash, in a self-describing format
  (``scrypt$ln=14,r=8,p=1$<salt>$<hash>``, base64) so the cost can be raised later without
  breaking the PINs already set;
* every wrong PIN is counted in the transaction that checked it, and that transaction commits
  even though the caller is refused; the volunteer's row is locked while the PIN is checked
  (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE``), so concurrent attempts can neither lose a count
  nor check more PINs than the policy allows;
* while an attempt must wait or the sign-in is locked, no PIN is checked at all, the right one
  included;
* an unknown number, a number with no PIN set and a wrong PIN get the same answer, after the
  same amount of hashing work, so the answer does not tell which numbers exist; a number with
  no PIN set counts wrong PINs, waits and locks exactly as one with a PIN, so a run of
  attempts does not tell which numbers have a PIN either.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import itertools
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from community._cleaning import normalise_passbook_number
from community._tables import volunteer
from community._volunteers import Volunteer, VolunteerStatus, get_volunteer
from community.errors import (
    InvalidPerson,
    InvalidPin,
    RegistryError,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
    VolunteerMovedAway,
    WeakPin,
)
from scheme_time import SCHEME_TZ

# --- The PIN policy -------------------------------------------------------------------------
PIN_MIN_DIGITS = 4
"""A PIN is 4 to 6 digits: short enough for elderly volunteers to remember."""
PIN_MAX_DIGITS = 6
THROTTLE_AFTER_FAILURES = 3
"""After this many wrong PINs in a row, every further attempt must wait (429, Retry-After)."""
THROTTLE_FIRST_WAIT = timedelta(seconds=30)
"""The wait after the 3rd wrong PIN in a row; it doubles with each further one (30 s, 60 s)."""
LOCK_AFTER_FAILURES = 5
"""At this many wrong PINs in a row sign-in is locked (423); after the lock ends, each further
wrong PIN locks it again. Only a PIN reset by the grid's staff clears the count early."""
LOCK_DURATION = timedelta(minutes=15)
"""How long sign-in stays locked."""
SIGN_IN_VALID_FOR = timedelta(hours=12)
"""How long the token a volunteer gets by signing in is valid: one day's use at most."""

# scrypt cost: n = 2**14, r = 8 (16 MiB, tens of milliseconds per check).
SCRYPT_LOG2_N = 14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAXMEM = 64 * 1024 * 1024
_STORED = re.compile(
    r"scrypt\$ln=(?P<ln>\d{1,2}),r=(?P<r>\d{1,2}),p=(?P<p>\d{1,2})\$(?P<salt>[A-Za-z0-9+/=]+)"
    r"\$(?P<hash>[A-Za-z0-9+/=]+)"
)
_PIN = re.compile(rf"[0-9]{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}")
_NUMBER = re.compile(r"[A-Z0-9-]{3,32}")


def check_pin_rules(pin: str) -> None:
    """Refuse a PIN that is not 4-6 digits or is easy to guess."""
    if not _PIN.fullmatch(pin):
        raise InvalidPin(
            f"A PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits (0-9), nothing else."
        )
    if len(set(pin)) == 1:
        raise WeakPin(f"{len(pin)} times the same digit is too easy to guess; choose another PIN.")
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {-1}):
        raise WeakPin(
            "Digits counting straight up or down (like 2345 or 987654) are too easy to guess; "
            "choose another PIN."
        )
    for period in range(2, len(pin) // 2 + 1):
        if len(pin) % period == 0 and pin == pin[:period] * (len(pin) // period):
            raise WeakPin(
                "A short pattern repeated (like 2727 or 147147) is too easy to guess; choose "
                "another PIN."
            )


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """The stored form of ``pin``: a salted scrypt hash that names its own parameters."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(pin, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    return (
        f"scrypt$ln={SCRYPT_LOG2_N},r={SCRYPT_R},p={SCRYPT_P}$"
        f"{base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    )


def pin_matches(pin: str, stored: str) -> bool:
    match = _STORED.fullmatch(stored)
    if match is None:
        return False  # not a hash this code wrote: no PIN can match it
    expected = base64.b64decode(match["hash"])
    digest = _scrypt(
        pin, base64.b64decode(match["salt"]), int(match["ln"]), int(match["r"]), int(match["p"])
    )
    return hmac.compare_digest(digest, expected)


def _scrypt(pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=2**log2_n, r=r, p=p, maxmem=_MAXMEM, dklen=_HASH_BYTES
    )


@functools.cache
def _decoy() -> str:
    """A hash to check wrong numbers against, so they cost the same time as wrong PINs."""
    return hash_pin("decoy-pin", salt=bytes(_SALT_BYTES))


def wait_after(failures: int) -> timedelta:
    """How long the next attempt must wait after ``failures`` wrong PINs in a row."""
    if failures < THROTTLE_AFTER_FAILURES:
        return timedelta(0)
    wait: timedelta = THROTTLE_FIRST_WAIT * 2 ** (failures - THROTTLE_AFTER_FAILURES)
    return wait


async def set_pin(
    conn: AsyncConnection, number: str, pin: str, *, now: datetime | None = None
) -> Volunteer:
    """Set or reset a volunteer's PIN: the grid's staff do this. It clears the count of wrong
    PINs and any lock."""
    check_pin_rules(pin)
    await get_volunteer(conn, number, for_update=True)
    stored = await asyncio.to_thread(hash_pin, pin)
    await conn.execute(
        update(volunteer)
        .where(volunteer.c.passbook_number == number)
        .values(pin_hash=stored, pin_failures=0, pin_last_failure_at=None, pin_locked_until=None)
    )
    return await get_volunteer(conn, number)


@dataclass(frozen=True, slots=True)
class SignInCheck:
    """What checking a PIN found: the volunteer when it is right, otherwise the refusal to
    raise once the transaction (which recorded the failure) has committed."""

    volunteer: Volunteer | None
    refusal: RegistryError | None


def _failed() -> SignInFailed:
    return SignInFailed(
        "The passbook number or the PIN is wrong. Check the number on the passbook's cover and "
        "try again. If you have no PIN yet, or forgot it, ask your grid worker to set one."
    )


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _locked(until: datetime, now: datetime) -> SignInLocked:
    local = until.astimezone(SCHEME_TZ).strftime("%Y-%m-%d %H:%M")
    return SignInLocked(
        f"Sign-in for this passbook is locked until {local} (Beijing time) after "
        f"{LOCK_AFTER_FAILURES} wrong PINs in a row. Try again then, or ask your grid worker "
        "to reset the PIN, which unlocks it at once.",
        retry_after=_seconds(until - now),
        locked_until=until.isoformat(),
    )


async def check_pin(
    conn: AsyncConnection, *, passbook_number: str, pin: str, now: datetime | None = None
) -> SignInCheck:
    """Check a volunteer's PIN under the policy above, recording a wrong one.

    Never raises for a refused sign-in: it returns the refusal, so the caller can commit the
    recorded failure first. A malformed number or PIN is refused at once (telling that is
    harmless) and counts nothing."""
    now = now or datetime.now(UTC)
    number = normalise_passbook_number(passbook_number)
    if not _NUMBER.fullmatch(number):
        raise InvalidPerson(
            "A passbook number is 3-32 capital letters, digits or dashes, as printed on the "
            "passbook's cover (for example YZS1-0001)."
        )
    if not _PIN.fullmatch(pin):
        raise InvalidPin(
            f"A PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits (0-9), nothing else."
        )
    row = (
        await conn.execute(
            select(
                volunteer.c.id,
                volunteer.c.pin_hash,
                volunteer.c.pin_failures,
                volunteer.c.pin_last_failure_at,
                volunteer.c.pin_locked_until,
            )
            .where(volunteer.c.passbook_number == number)
            .with_for_update()
        )
    ).first()
    if row is None:
        await asyncio.to_thread(pin_matches, pin, _decoy())
        return SignInCheck(None, _failed())
    if row.pin_locked_until is not None and now < row.pin_locked_until:
        return SignInCheck(None, _locked(row.pin_locked_until, now))
    if row.pin_last_failure_at is not None:
        ready_at = row.pin_last_failure_at + wait_after(row.pin_failures)
        if now < ready_at:
            return SignInCheck(
                None,
                SignInThrottled(
                    f"{row.pin_failures} wrong PINs in a row: wait {_seconds(ready_at - now)} "
                    "seconds before trying again. If you are not sure of the PIN, ask your grid "
                    "worker to reset it.",
                    retry_after=_seconds(ready_at - now),
                ),
            )
    # A passbook with no PIN yet is answered as one with a wrong PIN, waits and lock included
    # (no PIN matches the decoy), so the answers never tell which numbers have a PIN.
    if not await asyncio.to_thread(pin_matches, pin, row.pin_hash or _decoy()):
        failures = row.pin_failures + 1
        locked_until = now + LOCK_DURATION if failures >= LOCK_AFTER_FAILURES else None
        await conn.execute(
            update(volunteer)
            .where(volunteer.c.id == row.id)
            .values(
                pin_failures=volunteer.c.pin_failures + 1,
                pin_last_failure_at=now,
                pin_locked_until=locked_until,
            )
        )
        return SignInCheck(None, _failed() if locked_until is None else _locked(locked_until, now))
    if row.pin_failures or row.pin_locked_until is not None:
        await conn.execute(
            update(volunteer)
            .where(volunteer.c.id == row.id)
            .values(pin_failures=0, pin_last_failure_at=None, pin_locked_until=None)
        )
    found = await get_volunteer(conn, number)
    if found.status is not VolunteerStatus.ACTIVE:
        return SignInCheck(
            None,
            VolunteerMovedAway(
                f"Passbook {number} is marked as moved away, so it cannot sign in. If you live "
                "here again, ask your grid worker to mark it active."
            ),
        )
    return SignInCheck(found, None)


__all__ = [
    "LOCK_AFTER_FAILURES",
    "LOCK_DURATION",
    "PIN_MAX_DIGITS",
    "PIN_MIN_DIGITS",
    "SIGN_IN_VALID_FOR",
    "THROTTLE_AFTER_FAILURES",
    "THROTTLE_FIRST_WAIT",
    "SignInCheck",
    "check_pin",
    "check_pin_rules",
    "hash_pin",
    "pin_matches",
    "set_pin",
    "wait_after",
]
