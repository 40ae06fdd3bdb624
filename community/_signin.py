"""Volunteer PINs: the rules a PIN follows, how it is stored, and how one is checked.

Invariants:

* a PIN is stored only as a salted scrypt hash, in a self-describing format
  (``scrypt$ln=14,r=8,p=1$<salt>$<hash>``, base64) so the cost can be raised later without
  breaking the PINs already set;
* setting or resetting a PIN clears the number's sign-in wait and forgets the volunteer's
  known devices;
* the policy against guessing (waits per address, per number, per device) and the way a
  sign-in runs its hash outside any transaction are :mod:`community._signin_attempts`'.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import itertools
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

import db
from community._devices import forget_devices
from community._tables import volunteer
from community._volunteers import Volunteer, get_volunteer
from community.errors import InvalidPin, WeakPin
from i18n import _

# --- The PIN policy -------------------------------------------------------------------------
PIN_MIN_DIGITS = 4
"""A PIN is 4 to 6 digits: short enough for elderly volunteers to remember."""
PIN_MAX_DIGITS = 6
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
NUMBER_PATTERN = re.compile(r"[A-Z0-9-]{3,32}")
PIN_PATTERN = _PIN
NUMBER_SCOPE = "sign-in:number"
"""The throttle scope counting wrong PINs per passbook number (known or not)."""


def check_pin_rules(pin: str) -> None:
    """Refuse a PIN that is not 4-6 digits or is easy to guess."""
    if not _PIN.fullmatch(pin):
        raise InvalidPin(
            _(
                "A PIN is {pin_min_digits} to {pin_max_digits} digits (0-9), nothing else.",
                pin_min_digits=PIN_MIN_DIGITS,
                pin_max_digits=PIN_MAX_DIGITS,
            )
        )
    if len(set(pin)) == 1:
        raise WeakPin(
            _(
                "{digits} times the same digit is too easy to guess; choose another PIN.",
                digits=len(pin),
            )
        )
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {-1}):
        raise WeakPin(
            _(
                "Digits counting straight up or down (like 2345 or 987654) are too "
                "easy to guess; choose another PIN."
            )
        )
    for period in range(2, len(pin) // 2 + 1):
        if len(pin) % period == 0 and pin == pin[:period] * (len(pin) // period):
            raise WeakPin(
                _(
                    "A short pattern repeated (like 2727 or 147147) is too easy to guess; "
                    "choose another PIN."
                )
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
def decoy_hash() -> str:
    """A hash to check wrong numbers against, so they cost the same time as wrong PINs."""
    return hash_pin("decoy-pin", salt=bytes(_SALT_BYTES))


async def set_pin(
    conn: AsyncConnection, number: str, pin: str, *, now: datetime | None = None
) -> Volunteer:
    """Set or reset a volunteer's PIN: the grid's staff do this. It clears the number's count
    of wrong PINs and its wait, and forgets the volunteer's known devices."""
    check_pin_rules(pin)
    found = await get_volunteer(conn, number, for_update=True)
    stored = await asyncio.to_thread(hash_pin, pin)
    await conn.execute(
        update(volunteer)
        .where(volunteer.c.passbook_number == number)
        .values(pin_hash=stored, pin_failures=0, pin_last_failure_at=None, pin_locked_until=None)
    )
    await db.throttles.forget(conn, NUMBER_SCOPE, number)
    await forget_devices(conn, found.id)
    return await get_volunteer(conn, number)


__all__ = [
    "NUMBER_SCOPE",
    "PIN_MAX_DIGITS",
    "PIN_MIN_DIGITS",
    "SIGN_IN_VALID_FOR",
    "check_pin_rules",
    "decoy_hash",
    "hash_pin",
    "pin_matches",
    "set_pin",
]
