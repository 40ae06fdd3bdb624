"""A sign-in attempt in three steps, and the policy that slows guessers without locking anyone
out.

Invariants:

* no scrypt hash is ever computed inside a transaction or with a pooled connection checked
  out: :func:`begin_attempt` (one short write transaction) counts the attempt and reads what
  the hash needs, :func:`run_hash` hashes in a worker thread with no connection held, and
  :func:`finish_attempt` (another short write transaction) records a success;
* hashes run in low-priority threads (:data:`HASH_NICENESS`), so a flood's hashing never
  takes the processor from other requests' answers;
* at most :data:`HASHES_AT_ONCE` sign-ins (and so hashes) run at once in a process; an
  attempt that cannot get a place within :data:`HASH_SLOT_WAIT` is refused (503 with
  Retry-After) before it reads or counts anything, instead of queueing for the connection
  pool, so other requests keep their connections;
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
* while an attempt must wait, no PIN is checked at all, the right one included;
* a flood from one address costs no database work once the shared table has made that address
  wait: each process remembers (bounded, :data:`KNOWN_WAITS`) the address waits it saw
  committed and refuses further attempts without a device value at once, until the wait ends.
  Only address waits are remembered, because nothing ends one early (a number's wait is
  cleared by the grid worker or a PIN reset, so it is always read from the table); a process
  that has not seen a wait asks the table, so the answer is the same in every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
    SignInBusy,
    SignInFailed,
    SignInThrottled,
    VolunteerMovedAway,
)
from i18n import _

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
HASHES_AT_ONCE = 3
"""How many sign-ins one process runs at once (each hash takes ~16 MiB and tens of ms of
CPU; each attempt two short transactions)."""
HASH_SLOT_WAIT = 0.5
"""Seconds an attempt waits for a hash place before it is refused with 503."""
WAITING_AT_ONCE = 2 * HASHES_AT_ONCE
"""How many attempts may wait for a place at once; one more is refused with 503 at once."""
BUSY_RETRY_AFTER = 2
HASH_NICENESS = 10
"""How much lower than the service's the hashing threads' priority is (a Unix nice value)."""
KNOWN_WAITS = 10_000
"""How many address waits one process remembers (the oldest is forgotten first)."""

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
        _(
            "The passbook number or the PIN is wrong. Check the number on the "
            "passbook's cover and try again. If you have no PIN yet, or forgot it, "
            "ask your grid worker to set one."
        )
    )


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _throttled(until: datetime | None, now: datetime) -> SignInThrottled:
    seconds = _seconds((until - now) if until is not None else timedelta(seconds=1))
    return SignInThrottled(
        _(
            "Too many wrong sign-ins: wait {seconds} seconds before trying again. "
            "On a phone or browser you signed in from before, you can sign in at "
            "once; if you are not sure of the PIN, ask your grid worker to reset "
            "it.",
            seconds=seconds,
        ),
        retry_after=seconds,
    )


def valid_number(passbook_number: str, pin: str) -> str:
    """The normalised number; a malformed number or PIN is refused at once, counting nothing."""
    number = normalise_passbook_number(passbook_number)
    if not _signin.NUMBER_PATTERN.fullmatch(number):
        raise InvalidPerson(
            _(
                "A passbook number is 3-32 capital letters, digits or dashes, as "
                "printed on the passbook's cover (for example YZS1-0001)."
            )
        )
    if not _signin.PIN_PATTERN.fullmatch(pin):
        raise InvalidPin(
            _(
                "A PIN is {pin_min_digits} to {pin_max_digits} digits (0-9), nothing else.",
                pin_min_digits=_signin.PIN_MIN_DIGITS,
                pin_max_digits=_signin.PIN_MAX_DIGITS,
            )
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
        return _throttled(until, now), until
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


class _KnownWaits:
    """The address waits this process saw committed, until each ends (at most
    :data:`KNOWN_WAITS`, the oldest forgotten first)."""

    def __init__(self) -> None:
        self._until: OrderedDict[str, datetime] = OrderedDict()

    def note(self, address: str, until: datetime | None) -> None:
        if until is None:
            return
        self._until[address] = until
        self._until.move_to_end(address)
        while len(self._until) > KNOWN_WAITS:
            self._until.popitem(last=False)

    def refusal(self, address: str, now: datetime) -> SignInThrottled | None:
        until = self._until.get(address)
        if until is None:
            return None
        if until <= now:
            del self._until[address]
            return None
        return _throttled(until, now)


_KNOWN_WAITS: weakref.WeakKeyDictionary[AsyncEngine, _KnownWaits] = weakref.WeakKeyDictionary()


def _known_waits(books: AsyncEngine) -> _KnownWaits:
    found = _KNOWN_WAITS.get(books)
    if found is None:
        found = _KNOWN_WAITS[books] = _KnownWaits()
    return found


def note_address_wait(books: AsyncEngine, attempt: Attempt, address: str) -> None:
    """Remember the address wait a committed attempt on ``books`` saw or set, so that the next
    attempts from that address without a device value are refused without the database."""
    _known_waits(books).note(address[:160], attempt.address_wait_until)


def known_address_wait(
    books: AsyncEngine, address: str, device: str | None, now: datetime
) -> SignInThrottled | None:
    """The refusal the shared table of ``books`` would give an attempt from ``address`` with no
    device value, when this process already knows the address must wait; ``None`` otherwise
    (then ask the table). An attempt with a device value is never refused here: the owner's
    device is not slowed by the address's waits."""
    if device is not None:
        return None
    return _known_waits(books).refusal(address[:160], now)


def forget_known_address_waits() -> None:
    """Forget every remembered address wait, of all books: only for tests that move the
    table's times back, which nothing else ever does."""
    _KNOWN_WAITS.clear()


class _Places:
    """One process's sign-in places and the attempts waiting for one."""

    def __init__(self) -> None:
        self.free = asyncio.Semaphore(HASHES_AT_ONCE)
        self.waiting = 0


class _HashSlots:
    """At most :data:`HASHES_AT_ONCE` hashes at once, per event loop (one per process)."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Places]
        self._by_loop = weakref.WeakKeyDictionary()

    def places(self) -> _Places:
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is None:
            found = self._by_loop[loop] = _Places()
        return found


_SLOTS = _HashSlots()


def _busy() -> SignInBusy:
    return SignInBusy(
        _("Too many sign-ins at this moment: try again in a few seconds."),
        retry_after=BUSY_RETRY_AFTER,
    )


@asynccontextmanager
async def sign_in_place() -> AsyncIterator[None]:
    """One of the process's :data:`HASHES_AT_ONCE` sign-in places, held for the whole attempt
    (its two short transactions and its hash), so a flood can neither queue without bound nor
    take the connection pool from other requests; raises :class:`SignInBusy` before anything
    is read or counted: at once when :data:`WAITING_AT_ONCE` attempts already wait for a
    place (a flood's refusals are spread as it arrives, not piled up at one moment), else
    when none frees up within :data:`HASH_SLOT_WAIT`."""
    places = _SLOTS.places()
    if places.free.locked() and places.waiting >= WAITING_AT_ONCE:
        raise _busy()
    places.waiting += 1
    try:
        await asyncio.wait_for(places.free.acquire(), timeout=HASH_SLOT_WAIT)
    except TimeoutError:
        raise _busy() from None
    finally:
        places.waiting -= 1
    try:
        yield
    finally:
        places.free.release()


def _yield_the_processor() -> None:
    """Run this hashing thread at a lower priority than the event loop's (Linux gives each
    thread its own nice value), so hashes use the processor only when requests leave it."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


_HASHERS: ThreadPoolExecutor | None = None


def _hashers() -> ThreadPoolExecutor:
    global _HASHERS  # one pool per process, made on first use
    if _HASHERS is None:
        _HASHERS = ThreadPoolExecutor(
            max_workers=HASHES_AT_ONCE,
            thread_name_prefix="pin-hash",
            initializer=_yield_the_processor,
        )
    return _HASHERS


async def run_hash(pin: str, stored: str) -> bool:
    """Step 2 (no connection held): whether ``pin`` matches ``stored``, hashed in one of the
    process's :data:`HASHES_AT_ONCE` low-priority threads, so the event loop stays free and
    other requests keep the processor while a flood's hashes run."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_hashers(), _signin.pin_matches, pin, stored)


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
                _(
                    "Passbook {number} is marked as moved away, so it cannot sign in. If "
                    "you live here again, ask your grid worker to mark it active.",
                    number=attempt.number,
                )
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
    "HASHES_AT_ONCE",
    "HASH_SLOT_WAIT",
    "KNOWN_WAITS",
    "MAX_WAIT",
    "NUMBER_SCOPE",
    "THROTTLE_AFTER_FAILURES",
    "THROTTLE_FIRST_WAIT",
    "WAITING_AT_ONCE",
    "Attempt",
    "SignInCheck",
    "begin_attempt",
    "clear_number_wait",
    "failed",
    "finish_attempt",
    "forget_known_address_waits",
    "known_address_wait",
    "note_address_wait",
    "run_hash",
    "sign_in_place",
    "valid_number",
    "wait_after",
]
