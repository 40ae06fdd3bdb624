"""A small street for the credential use cases: street > estate (grid-1, grid-2) and other
(grid-3), a council member in grid-1 and one in grid-3, a volunteer in grid-1 and one in
grid-3, and a merchant."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import rewards
from access import Principal, Role

STREET, ESTATE, OTHER = "street", "street/estate", "street/other"
GRID_1, GRID_2, GRID_3 = f"{ESTATE}/grid-1", f"{ESTATE}/grid-2", f"{OTHER}/grid-3"


@pytest.fixture
async def tx(engine: AsyncEngine) -> db.Transactions:
    async def use_case(conn: AsyncConnection) -> None:
        await community.add_org_unit(conn, code="street", name="街道", kind="street")
        for code in ("estate", "other"):
            await community.add_org_unit(
                conn, code=code, name=code, kind="community", parent_code="street"
            )
        for grid, parent in (("grid-1", "estate"), ("grid-2", "estate"), ("grid-3", "other")):
            await community.add_org_unit(
                conn, code=grid, name=grid, kind="grid", parent_code=parent
            )
        await community.add_council_member(conn, code="g1-a", name="甲", grid_code="grid-1")
        await community.add_council_member(conn, code="g3-a", name="丙", grid_code="grid-3")
        await community.register_volunteer(
            conn, passbook_number="TST-0001", name="志愿者", grid_code="grid-1"
        )
        await community.register_volunteer(
            conn, passbook_number="TST-0003", name="别人", grid_code="grid-3"
        )
        await rewards.add_merchant(conn, code="market", name="超市", actor="test")

    await db.run_in_transaction(engine, use_case)
    return db.Transactions(engine)


def admin_of(path: str, token_id: int = 900) -> Principal:
    return Principal(token_id=token_id, role=Role.ADMIN, scope=path, label=f"admin {path}")
