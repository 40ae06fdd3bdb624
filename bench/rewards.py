"""The rewards benchmark: redemptions and counter scans per second, on a scratch database
(never the one configured).

Each redemption is one transaction (eligibility, limits, stock by conditional update, the hold,
the voucher); each scan consumes one voucher (its hold settled into the merchant's account).
Workers redeem for distinct volunteers, so the figures show the service's own cost, not a
queue on one passbook. A last run has every worker redeem one hot reward of limited stock, to
show the conditional stock update under contention. Then the scratch books must verify.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from itertools import count

from sqlalchemy.ext.asyncio import AsyncEngine

import community
import db
import ledger
import rewards
from bench._scratch import REWARDS_DATABASE, scratch_database

Out = Callable[[str], None]
VOLUNTEERS = 400
WORKERS = (1, 8)


async def _setup(engine: AsyncEngine) -> list[str]:
    numbers = [f"RB-{n:05d}" for n in range(VOLUNTEERS)]

    async def use_case(conn: db.Connection) -> list[str]:
        await community.add_org_unit(conn, code="rb", name="基准街道", kind="street")
        await community.add_org_unit(
            conn, code="rb-c", name="基准社区", kind="community", parent_code="rb"
        )
        grid = await community.add_org_unit(
            conn, code="rb-g", name="基准网格", kind="grid", parent_code="rb-c"
        )
        assert grid.issuance_account_id is not None
        await rewards.add_merchant(conn, code="rb-shop", name="基准超市", actor="bench")
        for code, stock in (("rb-tissues", None), ("rb-hot", 50)):
            await rewards.add_reward(
                conn,
                rewards.RewardSpec(
                    code=code,
                    name="抽纸",
                    kind=rewards.RewardKind.GOODS,
                    cost_points=1,
                    merchant_code="rb-shop",
                    org_unit_code="rb",
                    stock_total=stock,
                ),
                actor="bench",
            )
        for number in numbers:
            passbook = await community.register_volunteer(
                conn, passbook_number=number, name="志愿者", grid_code="rb-g"
            )
            await ledger.post_entry(
                conn,
                idempotency_key=f"bench:opening:{number}",
                kind="opening",
                legs=[
                    ledger.Leg(ledger.AccountId(grid.issuance_account_id), -100_000),
                    ledger.Leg(passbook.account_id, 100_000),
                ],
                actor="bench",
                effective_date=date(2026, 1, 1),
            )
        return numbers

    return await db.run_in_transaction(engine, use_case)


async def _rate(
    workers: int, seconds: float, operation: Callable[[int], Awaitable[bool | None]]
) -> float:
    """Successful operations per second by ``workers`` concurrent tasks over ``seconds`` (or
    until ``operation`` answers None: nothing left to do)."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            outcome = await operation(n)
            if outcome is None:
                return
            done += outcome

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(workers)))
    return done / (time.perf_counter() - began)


async def run_rewards_bench(
    database_url: str, *, seconds: float = 10.0, out: Out = print
) -> dict[str, float]:
    figures: dict[str, float] = {}
    async with scratch_database(database_url, out, REWARDS_DATABASE) as url:
        engine = db.create_engine(url, pool_size=max(WORKERS) + 2)
        try:
            out(f"· {VOLUNTEERS} volunteers, a reward without stock and one with 50")
            numbers = await _setup(engine)
            turn = count()
            codes: list[str] = []

            async def redeem(reward: str, number: str) -> bool:
                async def use_case(conn: db.Connection) -> rewards.Redemption:
                    return await rewards.redeem_reward(
                        conn,
                        reward_code=reward,
                        passbook_number=number,
                        quantity=1,
                        idempotency_key=f"bench:{uuid.uuid4().hex}",
                        actor="bench",
                    )

                try:
                    made = await db.run_in_transaction(engine, use_case)
                except rewards.RewardsError:
                    return False
                codes.extend(v.code for v in made.vouchers)
                return True

            async def consume(_: int) -> bool | None:
                if not codes:
                    return None  # every voucher redeemed so far is used
                code = codes.pop()

                async def use_case(conn: db.Connection) -> rewards.Consumption:
                    return await rewards.consume_voucher(
                        conn, code=code, merchant_code="rb-shop", scanner="bench"
                    )

                await db.run_in_transaction(engine, use_case)
                return True

            for workers in WORKERS:
                out(f"· redemptions for {seconds:g} s with {workers} worker(s)")
                figures[f"redeem_{workers}"] = await _rate(
                    workers,
                    seconds,
                    lambda n: redeem("rb-tissues", numbers[next(turn) % VOLUNTEERS]),
                )
            for workers in WORKERS:
                out(f"· scans (consume) for {seconds:g} s with {workers} worker(s)")
                figures[f"consume_{workers}"] = await _rate(workers, seconds, consume)
            out("· 200 redemptions at once on a reward with a stock of 50")
            began = time.perf_counter()
            outcomes = await asyncio.gather(
                *(redeem("rb-hot", numbers[n % VOLUNTEERS]) for n in range(200))
            )
            figures["hot_s"] = time.perf_counter() - began
            figures["hot_sold"] = sum(outcomes)
            async with db.read_transaction(engine) as conn:
                report = await ledger.verify_books(conn)
            if not report.ok:
                raise RuntimeError(f"the scratch books do not verify: {report.problems[:3]}")
        finally:
            await engine.dispose()
    out("")
    out(f"rewards benchmark ({db.dialect_of(database_url).value}; whole-run rates)")
    for workers in WORKERS:
        out(f"  redemptions/s, {workers} worker(s)            {figures[f'redeem_{workers}']:8.1f}")
    for workers in WORKERS:
        out(f"  scans (consume)/s, {workers} worker(s)        {figures[f'consume_{workers}']:8.1f}")
    out(
        f"  200 redemptions at once, stock 50: {int(figures['hot_sold'])} sold in "
        f"{figures['hot_s']:.2f} s"
    )
    out("  books verified")
    return figures
