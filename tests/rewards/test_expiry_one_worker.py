"""The periodic expiry sweeps in one worker at a time: of two sweepers started together one
sweeps and the other skips the round, and a worker that dies holding the lock does not stop
the sweeping (PostgreSQL: an advisory lock; SQLite: a lock file beside the database)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import rewards
from tests.rewards.conftest import Exchange

HOLD_THE_LOCK = """
import asyncio, sys
import db, rewards

async def main():
    engine = db.create_engine(sys.argv[1])
    async with db.exclusive(engine, rewards.EXPIRY_LOCK) as held:
        print("held" if held else "refused", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def due_vouchers(exchange: Exchange, count: int) -> list[int]:
    """``count`` vouchers issued on the fixtures' day, long past their date by now."""
    await exchange.reward("soap", voucher_valid_days=1)
    return [v.id for v in (await exchange.redeem("soap", quantity=count)).vouchers]


async def statuses(exchange: Exchange, ids: list[int]) -> list[rewards.VoucherStatus]:
    return [(await exchange.voucher(i)).status for i in ids]


async def someone_holds_the_sweep_lock(engine: AsyncEngine) -> bool:
    """Whether any process holds the expiry lock, observed without taking it."""
    if db.dialect_of(engine) is db.Dialect.POSTGRESQL:
        async with db.read_transaction(engine) as conn:
            found = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = "
                    "current_database()) AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": rewards_key()},
            )
        return bool(found)
    return flock_held(Path(f"{engine.url.database}-{rewards.EXPIRY_LOCK}.lock"))


def flock_held(path: Path) -> bool:
    """Whether some process holds a ``flock`` on ``path`` (Linux's /proc/locks)."""
    if not path.exists():
        return False
    inode = path.stat().st_ino
    locks = Path("/proc/locks").read_text().splitlines()
    return any(line.split()[1] == "FLOCK" and f":{inode} " in line for line in locks)


def rewards_key() -> int:
    from db._exclusive import advisory_key

    return advisory_key(rewards.EXPIRY_LOCK)


@contextlib.asynccontextmanager
async def sweeps_kept_waiting(engine: AsyncEngine, voucher_id: int) -> AsyncIterator[None]:
    """Hold what the sweep's write of ``voucher_id`` needs: the row on PostgreSQL, the write
    lock on SQLite (a write transaction begins with BEGIN IMMEDIATE)."""
    async with db.transaction(engine) as conn:
        if db.dialect_of(engine) is db.Dialect.POSTGRESQL:
            await conn.execute(
                text("SELECT id FROM voucher WHERE id = :id FOR UPDATE"), {"id": voucher_id}
            )
        yield


async def wait_for(condition: object, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("it did not happen in time")


async def test_two_sweepers_at_once_sweep_once(exchange: Exchange, database_url: str) -> None:
    ids = await due_vouchers(exchange, 3)
    worker_a = db.create_engine(database_url)
    worker_b = db.create_engine(database_url)
    blocker = db.create_engine(database_url)
    try:
        async with sweeps_kept_waiting(blocker, ids[0]):
            first = asyncio.create_task(rewards.sweep_round(worker_a))
            await wait_for(lambda: someone_holds_the_sweep_lock(exchange.engine))
            assert not first.done()  # a sweep is under way, kept waiting by the test
            second = await rewards.sweep_round(worker_b)
            assert second is None  # the other worker skipped this round
        swept = await asyncio.wait_for(first, 30)
    finally:
        for engine in (worker_a, worker_b, blocker):
            await engine.dispose()
    assert swept is not None
    assert (swept.vouchers, swept.points) == (3, 30)
    assert await statuses(exchange, ids) == [rewards.VoucherStatus.EXPIRED] * 3
    assert (await exchange.balance()).held == 0
    assert not await someone_holds_the_sweep_lock(exchange.engine)  # released when done
    assert (await exchange.verify()).ok


async def test_a_sweep_still_happens_when_the_worker_holding_the_lock_is_gone(
    exchange: Exchange, database_url: str
) -> None:
    ids = await due_vouchers(exchange, 2)
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD_THE_LOCK,
        database_url,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        said = await asyncio.wait_for(holder.stdout.readline(), 60)
        assert said == b"held\n"
        assert await rewards.sweep_round(exchange.engine) is None  # the other worker sweeps
        assert await statuses(exchange, ids) == [rewards.VoucherStatus.ISSUED] * 2
    finally:
        holder.send_signal(signal.SIGKILL)  # gone, as in a crash: no unlocking
        await holder.wait()
    sweeper = asyncio.create_task(rewards.expire_periodically(exchange.engine, 0.05))
    try:

        async def expired() -> bool:
            return await statuses(exchange, ids) == [rewards.VoucherStatus.EXPIRED] * 2

        await wait_for(expired)
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
    assert (await exchange.balance()).held == 0


def test_an_in_memory_database_always_sweeps(tmp_path: Path) -> None:
    url = make_url("sqlite+aiosqlite://")

    async def run() -> list[bool]:
        engine = db.create_engine(url.render_as_string())
        try:
            async with db.exclusive(engine, "x") as outer, db.exclusive(engine, "x") as inner:
                return [outer, inner]
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == [True, True]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["voucher-expiry", "another"])
def test_advisory_keys_are_stable_signed_64_bit(name: str) -> None:
    from db._exclusive import advisory_key

    key = advisory_key(name)
    assert -(2**63) <= key < 2**63
    assert key == advisory_key(name)
    assert advisory_key("voucher-expiry") != advisory_key("another")
