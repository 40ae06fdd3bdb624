"""The PIN policy in the domain, with an injected clock: throttling, locking and resetting,
step by step in time, on the run's database (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db

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


async def attempt(engine: AsyncEngine, pin: str, at: datetime) -> community.SignInCheck:
    async def use_case(conn: AsyncConnection) -> community.SignInCheck:
        return await community.check_pin(conn, passbook_number=NUMBER, pin=pin, now=at)

    return await db.run_in_transaction(engine, use_case)


def refused(check: community.SignInCheck) -> type[Exception] | None:
    return None if check.refusal is None else type(check.refusal)


async def test_the_policy_step_by_step(books: AsyncEngine) -> None:
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
    at += timedelta(seconds=60)
    check = await attempt(books, WRONG, at)  # 5th: locked for 15 minutes
    assert refused(check) is community.SignInLocked
    assert check.refusal is not None
    assert check.refusal.figures["locked_until"] == (at + timedelta(minutes=15)).isoformat()
    assert check.refusal.retry_after == 15 * 60
    assert "2026-11-28 17:16 (Beijing time)" in check.refusal.message
    check = await attempt(books, PIN, at + timedelta(minutes=14, seconds=59))
    assert refused(check) is community.SignInLocked
    # the lock ends: the right PIN signs in and clears the count
    check = await attempt(books, PIN, at + timedelta(minutes=15))
    assert check.refusal is None
    assert check.volunteer is not None
    assert check.volunteer.passbook_number == NUMBER
    assert check.volunteer.pin_failures == 0
    assert check.volunteer.pin_locked_until is None


async def test_a_wrong_pin_after_the_lock_locks_again_and_a_reset_clears_it(
    books: AsyncEngine,
) -> None:
    at = T0
    for _ in range(community.LOCK_AFTER_FAILURES):
        await attempt(books, WRONG, at)
        at += timedelta(minutes=2)
    at += timedelta(minutes=15)
    check = await attempt(books, WRONG, at)
    assert refused(check) is community.SignInLocked
    assert check.refusal is not None
    assert check.refusal.figures["locked_until"] == (at + timedelta(minutes=15)).isoformat()

    async def reset(conn: AsyncConnection) -> community.Volunteer:
        return await community.set_pin(conn, NUMBER, "8024", now=at)

    volunteer = await db.run_in_transaction(books, reset)
    assert (volunteer.pin_failures, volunteer.pin_locked_until) == (0, None)
    assert (await attempt(books, "8024", at)).volunteer is not None


async def test_unknown_numbers_and_missing_pins_count_nothing(books: AsyncEngine) -> None:
    async def use_case(conn: AsyncConnection) -> list[community.SignInCheck]:
        return [
            await community.check_pin(conn, passbook_number="TST-9999", pin=PIN, now=T0)
            for _ in range(10)
        ]

    checks = await db.run_in_transaction(books, use_case)
    assert {refused(c) for c in checks} == {community.SignInFailed}
    async with db.read_transaction(books) as conn:
        volunteer = await community.get_volunteer(conn, NUMBER)
    assert volunteer.pin_failures == 0


def test_the_wait_doubles_after_the_third_failure() -> None:
    assert [community.wait_after(n).total_seconds() for n in range(6)] == [0, 0, 0, 30, 60, 120]


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
