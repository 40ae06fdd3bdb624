"""The scratch database and the small world the bank test runs on.

The world is loaded through the domain functions (the same ones ``seeds/`` uses), in one
transaction, before the service starts: a street, a community, three grids with two council
members each, 50 volunteers with opening balances, three savings rules and a milestone
incentive, a merchant and three rewards with small stock and per-volunteer limits, and a bearer
token for every actor. Tokens have fixed texts so the clients know them without asking.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

import community
import council
import db
import ledger
import rewards
from access import Role, create_token
from tests.service import passbook_command

CHINA = timezone(timedelta(hours=8))
ACTOR = "chaos-loader"
STREET = "chaos"
COMMUNITY = "chaos-c"
GRIDS = ("chaos-g1", "chaos-g2", "chaos-g3")
VOLUNTEERS = 50
OPENING_POINTS = 60
MERCHANT = "chaos-shop"
# code, points per unit; every rule allows 24 units a day, so caps rarely refuse a sheet
RULES = (("chaos-visit", 5), ("chaos-cleanup", 3), ("chaos-duty", 4))
DEFAULT_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class RewardPlan:
    code: str
    cost: int
    stock: int
    limit: int
    period: rewards.LimitPeriod
    quota: int | None = None


@dataclass(frozen=True)
class World:
    """What the clients need to know: numbers, codes and the raw tokens."""

    admin: str
    merchant: str
    volunteers: dict[str, str]  # passbook number -> volunteer token
    grid_of: dict[str, str]  # passbook number -> grid code
    members: dict[str, tuple[str, str]]  # grid -> (token of member a, token of member b)
    rules: tuple[str, ...]
    rewards: tuple[RewardPlan, ...]
    numbers_by_grid: dict[str, list[str]] = field(default_factory=dict)


def reward_plans(long_run: bool) -> tuple[RewardPlan, ...]:
    """Two rewards of 20 that sell out early (redemptions race at the stock boundary, cancels
    give places back) and a bulk one whose quota and limits bind before its stock; consumed
    vouchers keep their stock and limit place for good, so the long run needs more of it to
    keep redemptions, cancels and consumes flowing to the end."""
    bulk, limit = (1500, 30) if long_run else (60, 4)
    return (
        RewardPlan("chaos-tissues", 10, 20, 2, rewards.LimitPeriod.MONTH),
        RewardPlan("chaos-cart", 40, 20, 1, rewards.LimitPeriod.EVER),
        RewardPlan("chaos-dumplings", 15, bulk, limit, rewards.LimitPeriod.MONTH, quota=bulk - 10),
    )


def token_text(role: str, scope: str) -> str:
    return f"pb_chaos_{role}_{scope}"


def china_today() -> date:
    return datetime.now(CHINA).date()


async def _load(conn: AsyncConnection, plans: tuple[RewardPlan, ...]) -> World:
    await community.add_org_unit(conn, code=STREET, name="混沌测试街道", kind="street")
    await community.add_org_unit(
        conn, code=COMMUNITY, name="混沌测试社区", kind="community", parent_code=STREET
    )
    issuance: dict[str, int] = {}
    members: dict[str, tuple[str, str]] = {}
    for n, grid in enumerate(GRIDS, start=1):
        unit = await community.add_org_unit(
            conn, code=grid, name=f"混沌第{n}网格", kind="grid", parent_code=COMMUNITY
        )
        assert unit.issuance_account_id is not None
        issuance[grid] = unit.issuance_account_id
        raws: list[str] = []
        for letter in "ab":
            code = f"{grid}-{letter}"
            await community.add_council_member(
                conn, code=code, name=f"理事{n}{letter}", grid_code=grid
            )
            raw = token_text("council", code)
            await create_token(conn, role=Role.COUNCIL, scope=code, label=f"chaos {code}", raw=raw)
            raws.append(raw)
        members[grid] = (raws[0], raws[1])
    volunteers: dict[str, str] = {}
    grid_of: dict[str, str] = {}
    by_grid: dict[str, list[str]] = {grid: [] for grid in GRIDS}
    opened = china_today() - timedelta(days=90)
    for n in range(VOLUNTEERS):
        grid = GRIDS[n % len(GRIDS)]
        number = f"CH{n % len(GRIDS) + 1}-{n:04d}"
        passbook = await community.register_volunteer(
            conn, passbook_number=number, name=f"志愿者{n}", grid_code=grid
        )
        await ledger.post_entry(
            conn,
            idempotency_key=f"chaos:opening:{number}",
            kind="opening",
            legs=[
                ledger.Leg(ledger.AccountId(issuance[grid]), -OPENING_POINTS),
                ledger.Leg(passbook.account_id, OPENING_POINTS),
            ],
            actor=ACTOR,
            memo="opening balance",
            effective_date=opened,
        )
        raw = token_text("volunteer", number)
        await create_token(
            conn, role=Role.VOLUNTEER, scope=number, label=f"chaos {number}", raw=raw
        )
        volunteers[number] = raw
        grid_of[number] = grid
        by_grid[grid].append(number)
    for code, points in RULES:
        await council.add_rule(
            conn,
            code=code,
            name=f"混沌 {code}",
            category="chaos",
            points_per_unit=points,
            unit="hour",
            daily_cap_units=24,
            valid_from=opened,
            valid_to=None,
            org_code=STREET,
            actor=ACTOR,
        )
    await council.add_incentive(
        conn,
        code="chaos-milestone-200",
        name="累计满200分",
        kind="milestone",
        threshold=200,
        bonus_points=20,
        org_code=STREET,
        actor=ACTOR,
    )
    await rewards.add_merchant(conn, code=MERCHANT, name="混沌便民超市", actor=ACTOR)
    for plan in plans:
        await rewards.add_reward(
            conn,
            rewards.RewardSpec(
                code=plan.code,
                name=plan.code,
                kind=rewards.RewardKind.GOODS,
                cost_points=plan.cost,
                merchant_code=MERCHANT,
                org_unit_code=STREET,
                stock_total=plan.stock,
                monthly_quota=plan.quota,
                per_volunteer_limit=plan.limit,
                limit_period=plan.period,
                voucher_valid_days=30,
            ),
            actor=ACTOR,
        )
    admin = token_text("admin", STREET)
    await create_token(conn, role=Role.ADMIN, scope=STREET, label="chaos admin", raw=admin)
    merchant = token_text("merchant", MERCHANT)
    await create_token(
        conn, role=Role.MERCHANT, scope=MERCHANT, label="chaos scanner", raw=merchant
    )
    return World(
        admin=admin,
        merchant=merchant,
        volunteers=volunteers,
        grid_of=grid_of,
        members=members,
        rules=tuple(code for code, _ in RULES),
        rewards=plans,
        numbers_by_grid=by_grid,
    )


async def load_world(url: str, *, long_run: bool) -> World:
    engine = db.create_engine(url)
    try:
        plans = reward_plans(long_run)

        async def use_case(conn: AsyncConnection) -> World:
            return await _load(conn, plans)

        return await db.run_in_transaction(engine, use_case)
    finally:
        await engine.dispose()


async def migrate(url: str) -> None:
    done = await asyncio.to_thread(
        subprocess.run,
        [*passbook_command(), "migrate", "--database-url", url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"passbook migrate failed: {done.stdout}{done.stderr}")


async def _admin(server_url: str, *statements: str) -> None:
    """Run ``statements`` outside a transaction, from the server's maintenance database."""
    url = make_url(server_url).set(database="postgres").render_as_string(hide_password=False)
    engine = create_async_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"timeout": 20}
    )
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await asyncio.wait_for(conn.execute(text(statement)), 120)
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_database(kind: str, server_url: str, keep: bool) -> AsyncIterator[str]:
    """A fresh, migrated scratch database (a temp SQLite file, or a database of its own on the
    PostgreSQL server), removed afterwards unless ``keep``."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="passbook-chaos-")
        try:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'chaos.db'}"
            await migrate(url)
            yield url
        finally:
            if keep:
                print(f"· kept the scratch database in {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"passbook_chaos_{os.getpid()}"
    if make_url(server_url).database == name:
        raise RuntimeError("The scratch database must not be the server URL's own database.")
    await _admin(
        server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
    )
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        await migrate(url)
        yield url
    finally:
        if keep:
            print(f"· kept the scratch database {name}")
        else:
            await _drop(server_url, name)


async def _drop(server_url: str, name: str) -> None:
    """Drop the scratch database, waiting a little if the server is coming back."""
    for attempt in range(10):
        try:
            await _admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except Exception:
            if attempt == 9:
                raise
            await asyncio.sleep(3)
