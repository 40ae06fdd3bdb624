"""What keeps a flood of sign-ins cheap for everyone else, in one process: few places, few
low-priority hashing threads, and the address waits already known.

Invariants:

* at most :data:`HASHES_AT_ONCE` sign-ins (and so hashes) run at once in a process; an attempt
  that finds :data:`WAITING_AT_ONCE` others waiting for a place is refused at once (503 with
  Retry-After), and one that gets no place within :data:`HASH_SLOT_WAIT` likewise, before it
  reads or counts anything: a flood neither queues for the connection pool nor piles its
  refusals up at one moment;
* hashes run in :data:`HASHES_AT_ONCE` threads at a lower priority (:data:`HASH_NICENESS`), so
  a flood's hashing never takes the processor from other requests' answers;
* a flood from one address costs no database work once the shared table made that address
  wait: each process remembers (per books, bounded by :data:`KNOWN_WAITS`) the address waits
  it saw committed and refuses further attempts without a device value at once, until the
  wait ends. Only address waits are remembered, because nothing ends one early (a number's
  wait is cleared by the grid worker or a PIN reset, so it is always read from the table); a
  process that has not seen a wait asks the table, so every process answers alike. Nothing
  here decides who may sign in: the shared table (:mod:`community._signin_attempts`) does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from community import _signin
from community._signin_attempts import Attempt, throttled
from community.errors import SignInBusy, SignInThrottled

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
        return throttled(until, now)


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
        "Too many sign-ins at this moment: try again in a few seconds.",
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


__all__ = [
    "BUSY_RETRY_AFTER",
    "HASHES_AT_ONCE",
    "HASH_NICENESS",
    "HASH_SLOT_WAIT",
    "KNOWN_WAITS",
    "WAITING_AT_ONCE",
    "forget_known_address_waits",
    "known_address_wait",
    "note_address_wait",
    "run_hash",
    "sign_in_place",
]
