"""Domain tests of the rewards exchange on a fresh migrated database (no HTTP): a street with
two grids, three volunteers with points, a merchant and a reward factory."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
import rewards

T = TypeVar("T")
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Exchange:
    engine: AsyncEngine

    async def run(self, use_case: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        return await db.run_in_transaction(self.engine, use_case)

    async def read(self, query: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async with db.read_transaction(self.engine) as conn:
            return await query(conn)

    async def reward(self, code: str, **fields: Any) -> rewards.Reward:
        spec = rewards.RewardSpec(
            code=code,
            name=f"奖品 {code}",
            kind=rewards.RewardKind.GOODS,
            cost_points=10,
            merchant_code="shop",
            org_unit_code="street",
        )
        spec = replace(spec, **fields)
        return await self.run(lambda conn: rewards.add_reward(conn, spec, actor="staff"))

    async def redeem(
        self, code: str, number: str = "P-1", *, quantity: int = 1, now: datetime = NOW
    ) -> rewards.Redemption:
        k = key()
        return await self.run(
            lambda conn: rewards.redeem_reward(
                conn,
                reward_code=code,
                passbook_number=number,
                quantity=quantity,
                idempotency_key=k,
                actor="volunteer:test",
                now=now,
            )
        )

    async def balance(self, number: str = "P-1") -> ledger.Balance:
        async def query(conn: AsyncConnection) -> ledger.Balance:
            passbook = await community.find_passbook(conn, number)
            assert passbook is not None
            return await ledger.get_balance(conn, passbook.account_id)

        return await self.read(query)

    async def get_reward(self, code: str) -> rewards.Reward:
        return await self.read(lambda conn: rewards.get_reward(conn, code))

    async def voucher(self, voucher_id: int) -> rewards.Voucher:
        return await self.read(lambda conn: rewards.get_voucher(conn, voucher_id))

    async def verify(self) -> ledger.VerifyReport:
        return await self.read(ledger.verify_books)


@pytest.fixture
async def exchange(engine: AsyncEngine) -> Exchange:
    async def setup(conn: AsyncConnection) -> None:
        await community.add_org_unit(conn, code="street", name="街道", kind="street")
        await community.add_org_unit(
            conn, code="comm", name="社区", kind="community", parent_code="street"
        )
        for grid in ("g1", "g2"):
            await community.add_org_unit(
                conn, code=grid, name=f"网格 {grid}", kind="grid", parent_code="comm"
            )
        for number, grid, points in (("P-1", "g1", 100), ("P-2", "g1", 30), ("P-3", "g2", 100)):
            passbook = await community.register_volunteer(
                conn, passbook_number=number, name=f"志愿者 {number}", grid_code=grid
            )
            unit = await community.find_org_unit(conn, grid)
            assert unit is not None
            assert unit.issuance_account_id is not None
            await ledger.post_entry(
                conn,
                idempotency_key=f"opening:{number}",
                kind="opening",
                legs=[
                    ledger.Leg(unit.issuance_account_id, -points),
                    ledger.Leg(passbook.account_id, points),
                ],
                actor="test",
                effective_date=date(2026, 1, 1),
            )
        await rewards.add_merchant(conn, code="shop", name="小店", actor="staff")

    await db.run_in_transaction(engine, setup)
    return Exchange(engine)


def later(days: float) -> datetime:
    return NOW + timedelta(days=days)
