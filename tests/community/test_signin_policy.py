"""The sign-in policy with an injected clock: waits per number, per address and per known
device, the unlock and PIN resets, step by step in time, on the run's database (no sleeping)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
from community import services
from community.services import SignInAttempt

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
NUMBER = "TST-0001"
PIN = "2580"
WRONG = "3691"


@pytest.fixture
async def books(engine: AsyncEngine) -> AsyncEngine:
    async def use_case(conn: AsyncConnection) -> None:
        await community.add_org_unit(conn, code="street", name="街道", kind="street")
        await community.add_org_unit(
            conn, code="estate", name="小区", kind="community", parent_code="street"
        )
        await community.add_org_unit(
            conn, code="grid-1", name="第一网格", kind="grid", parent_code="estate"
        )
        await community.register_volunteer(
            conn, passbook_number=NUMBER, name="测试志愿者", grid_code="grid-1"
        )
        await community.set_pin(conn, NUMBER, PIN, now=T0)

    await db.run_in_transaction(engine, use_case)
    return engine


OWNER_ADDRESS = "198.51.100.7"
ATTACKER = "203.0.113.9"


async def attempt(
    engine: AsyncEngine,
    pin: str,
    at: datetime,
    *,
    number: str = NUMBER,
    address: str = ATTACKER,
    device: str | None = None,
) -> SignInAttempt:
    return await services.sign_in(
        db.Transactions(engine),
        passbook_number=number,
        pin=pin,
        address=address,
        device=device,
        now=at,
    )


def refused(check: SignInAttempt) -> type[Exception] | None:
    return None if check.refusal is None else type(check.refusal)


async def test_the_policy_step_by_step_waits_double_and_never_lock(books: AsyncEngine) -> None:
    at = T0
    for _ in range(community.THROTTLE_AFTER_FAILURES):
        assert refused(await attempt(books, WRONG, at)) is community.SignInFailed
    # 3 in a row: wait 30 s; the right PIN is not checked meanwhile
    check = await attempt(books, PIN, at + timedelta(seconds=29))
    assert refused(check) is community.SignInThrottled
    assert check.refusal is not None
    assert check.refusal.retry_after == 1
    at += timedelta(seconds=30)
    assert refused(await attempt(books, WRONG, at)) is community.SignInFailed  # 4th
    check = await attempt(books, WRONG, at + timedelta(seconds=59))
    assert refused(check) is community.SignInThrottled
    # many more wrong PINs: the wait grows to 15 minutes and no further; there is no lock
    for _ in range(10):
        at += community.MAX_WAIT
        assert refused(await attempt(books, WRONG, at)) is community.SignInFailed
    check = await attempt(books, PIN, at + timedelta(minutes=14, seconds=59))
    assert refused(check) is community.SignInThrottled
    assert check.refusal is not None
    assert check.refusal.retry_after == 1
    # the wait ends: the right PIN signs in and clears the count
    check = await attempt(books, PIN, at + community.MAX_WAIT)
    assert check.refusal is None
    assert check.signed_in is not None
    assert check.signed_in.passbook_number == NUMBER
    async with db.read_transaction(books) as conn:
        volunteer = await community.get_volunteer(conn, NUMBER)
    assert (volunteer.pin_failures, volunteer.pin_locked_until) == (0, None)


async def test_an_attacker_does_not_keep_the_owner_out(books: AsyncEngine) -> None:
    """Regression (finding 2): wrong PINs from one address do not stop the owner signing in
    from the phone they used before, nor, after the grid worker's unlock, from anywhere."""
    owner = await attempt(books, PIN, T0, address=OWNER_ADDRESS)
    assert owner.signed_in is not None
    device = owner.signed_in.device
    at = T0 + timedelta(minutes=1)
    for _ in range(12):  # the attacker keeps the number waiting
        await attempt(books, WRONG, at)
        at += timedelta(seconds=1)
    assert refused(await attempt(books, PIN, at, address=OWNER_ADDRESS)) is (
        community.SignInThrottled
    )
    # from the known device: at once, from any address
    back = await attempt(books, PIN, at, address=OWNER_ADDRESS, device=device)
    assert back.refusal is None, back.refusal
    assert back.signed_in is not None
    assert back.signed_in.device == device
    # the attacker with the number gains nothing from the owner's sign-in
    assert refused(await attempt(books, PIN, at)) is community.SignInThrottled

    # a device value is the volunteer's own: it does not help another number
    async def register_other(conn: AsyncConnection) -> None:
        await community.register_volunteer(
            conn, passbook_number="TST-0002", name="另一位", grid_code="grid-1"
        )
        await community.set_pin(conn, "TST-0002", "7391", now=T0)

    await db.run_in_transaction(books, register_other)
    for _ in range(community.THROTTLE_AFTER_FAILURES):
        await attempt(books, WRONG, at, number="TST-0002")
    other = await attempt(books, "7391", at, number="TST-0002", device=device)
    assert refused(other) is community.SignInThrottled

    # the grid worker's unlock clears the number's wait without changing the PIN
    async def unlock(conn: AsyncConnection) -> community.Volunteer:
        return await community.clear_number_wait(conn, NUMBER)

    cleared = await db.run_in_transaction(books, unlock)
    assert (cleared.pin_failures, cleared.pin_locked_until) == (0, None)
    assert (await attempt(books, PIN, at, address=OWNER_ADDRESS)).refusal is None


async def test_a_known_device_has_its_own_wait_and_a_pin_reset_forgets_it(
    books: AsyncEngine,
) -> None:
    owner = await attempt(books, PIN, T0, address=OWNER_ADDRESS)
    assert owner.signed_in is not None
    device = owner.signed_in.device
    for _ in range(community.THROTTLE_AFTER_FAILURES):  # a stolen device value is slowed too
        check = await attempt(books, WRONG, T0, device=device)
        assert refused(check) is community.SignInFailed
    assert refused(await attempt(books, PIN, T0, device=device)) is community.SignInThrottled

    async def reset(conn: AsyncConnection) -> community.Volunteer:
        return await community.set_pin(conn, NUMBER, "8024", now=T0)

    await db.run_in_transaction(books, reset)
    async with db.read_transaction(books) as conn:
        devices = await conn.scalar(select(func.count()).select_from(community.sign_in_device))
    assert devices == 0
    later = T0 + timedelta(seconds=1)
    fresh = await attempt(books, "8024", later, address=OWNER_ADDRESS, device=device)
    assert fresh.signed_in is not None
    assert fresh.signed_in.device != device  # the old value named no known device


async def test_unknown_numbers_are_throttled_exactly_like_known_ones(books: AsyncEngine) -> None:
    """Regression (finding 1): an unknown number waits like a wrong PIN, with the same
    answers, so neither the answers nor the waits tell which numbers exist."""
    answers: dict[str, list[tuple[type[Exception] | None, str, int | None]]] = {}
    for number in (NUMBER, "TST-9999"):
        answers[number] = []
        for _ in range(community.THROTTLE_AFTER_FAILURES + 1):
            check = await attempt(books, WRONG, T0, number=number, address=f"a-{number}")
            assert check.refusal is not None
            answers[number].append(
                (refused(check), check.refusal.message, check.refusal.retry_after)
            )
    assert answers[NUMBER] == answers["TST-9999"]
    assert answers["TST-9999"][-1][0] is community.SignInThrottled


async def test_one_address_trying_many_numbers_is_slowed(books: AsyncEngine) -> None:
    for n in range(community.ADDRESS_FREE_FAILURES):
        check = await attempt(books, PIN, T0, number=f"TST-9{n:03}")
        assert refused(check) is community.SignInFailed
    check = await attempt(books, PIN, T0, number="TST-8000")
    assert refused(check) is community.SignInThrottled
    # another address is not slowed by it
    assert (await attempt(books, PIN, T0, address=OWNER_ADDRESS)).refusal is None


@contextlib.contextmanager
def statements_run(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


async def test_a_waiting_address_is_refused_without_asking_the_database(
    books: AsyncEngine,
) -> None:
    """A flood from one address costs no database work once the table made it wait; a sign-in
    with a device value still asks the table (the owner's device is not slowed by the
    address), and so does the first attempt after the wait ends."""
    for n in range(community.ADDRESS_FREE_FAILURES):
        await attempt(books, WRONG, T0, number=f"TST-9{n:03}")
    first = await attempt(books, WRONG, T0, number="TST-8000")
    assert refused(first) is community.SignInThrottled
    with statements_run(books) as seen:
        again = await attempt(books, WRONG, T0 + timedelta(seconds=1), number="TST-8001")
    assert refused(again) is community.SignInThrottled
    assert isinstance(again.refusal, community.SignInThrottled)
    assert again.refusal.retry_after == 4
    assert seen == []
    with statements_run(books) as seen:
        with_device = await attempt(books, WRONG, T0 + timedelta(seconds=1), device="d" * 43)
    assert refused(with_device) is community.SignInThrottled
    assert seen
    with statements_run(books) as seen:
        after = await attempt(books, WRONG, T0 + timedelta(seconds=6), number="TST-8002")
    assert refused(after) is community.SignInFailed  # counted, and so the wait doubles
    assert seen


def test_the_wait_doubles_after_the_third_failure_up_to_fifteen_minutes() -> None:
    waits = [community.wait_after(n).total_seconds() for n in range(11)]
    assert waits == [0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


@pytest.mark.parametrize(
    "pin", ["1111", "999999", "0123", "1234", "4321", "987654", "2323", "456456", "121212"]
)
def test_weak_pins(pin: str) -> None:
    with pytest.raises(community.WeakPin):
        community.check_pin_rules(pin)


@pytest.mark.parametrize("pin", ["123", "1234567", "12 34", "12a4", "", "１２３４", "٢٥٨٠"])
def test_malformed_pins(pin: str) -> None:
    with pytest.raises(community.InvalidPin):
        community.check_pin_rules(pin)


@pytest.mark.parametrize("pin", ["2580", "0715", "1357", "90210", "135790", "1123", "7890"])
def test_acceptable_pins(pin: str) -> None:
    community.check_pin_rules(pin)


async def test_a_sign_in_with_no_free_place_is_refused_before_counting_anything(
    books: AsyncEngine,
) -> None:
    async with contextlib.AsyncExitStack() as held:
        for _ in range(community.HASHES_AT_ONCE):  # every place of this process taken
            await held.enter_async_context(community.sign_in_place())
        with pytest.raises(community.SignInBusy) as busy:
            await attempt(books, PIN, T0)
        assert busy.value.retry_after is not None
    async with db.read_transaction(books) as conn:
        counted = await conn.scalar(select(func.count()).select_from(db.throttles.throttle))
    assert counted == 0
    assert (await attempt(books, PIN, T0)).refusal is None  # places free again


async def test_when_enough_sign_ins_wait_for_a_place_the_next_is_refused_at_once(
    books: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood's refusals come as it arrives, not all at the end of the wait: with every place
    taken and :data:`community.WAITING_AT_ONCE` attempts waiting (for an hour, here), one more
    is refused without waiting and without counting anything."""
    monkeypatch.setattr("community._signin_load.HASH_SLOT_WAIT", 3600)
    async with contextlib.AsyncExitStack() as held:
        for _ in range(community.HASHES_AT_ONCE):
            await held.enter_async_context(community.sign_in_place())
        waiting = [
            asyncio.create_task(attempt(books, PIN, T0)) for _ in range(community.WAITING_AT_ONCE)
        ]
        await asyncio.sleep(0)  # let them all start waiting
        with pytest.raises(community.SignInBusy):
            await asyncio.wait_for(attempt(books, PIN, T0), timeout=30)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
    async with db.read_transaction(books) as conn:
        counted = await conn.scalar(select(func.count()).select_from(db.throttles.throttle))
    assert counted == 0
