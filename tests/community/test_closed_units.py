"""The org tree in the registry itself: every unit opens its issuance account, a code is one
unit, and a closed unit takes nothing new (the checks other use cases build on)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
from scheme_time import utcnow


async def _tree(conn: AsyncConnection) -> None:
    await community.add_org_unit(conn, code="street", name="街道", kind="street")
    await community.add_org_unit(
        conn, code="estate", name="小区", kind="community", parent_code="street"
    )
    await community.add_org_unit(
        conn, code="other", name="别的小区", kind="community", parent_code="street"
    )
    await community.add_org_unit(conn, code="g1", name="一网格", kind="grid", parent_code="estate")


@pytest.fixture
async def tx(engine: AsyncEngine) -> db.Transactions:
    await db.run_in_transaction(engine, _tree)
    return db.Transactions(engine)


async def test_every_unit_has_its_own_issuance_account(tx: db.Transactions) -> None:
    async def accounts(conn: AsyncConnection) -> dict[str, ledger.AccountId | None]:
        units = await community.list_org_units(conn, None)
        return {u.code: u.issuance_account_id for u in units}

    found = await tx.read(accounts)
    assert set(found) == {"street", "estate", "other", "g1"}
    assert None not in found.values()
    assert len(set(found.values())) == 4


async def test_a_code_is_one_unit(tx: db.Transactions) -> None:
    async def again(conn: AsyncConnection) -> community.OrgUnit:
        return await community.add_org_unit(
            conn, code="g1", name="一网格", kind="grid", parent_code="estate"
        )

    assert (await tx.write(again)).path == "street/estate/g1"
    for kind, parent in (("grid", "other"), ("community", "street")):

        async def elsewhere(conn: AsyncConnection, kind: str = kind, parent: str = parent) -> None:
            await community.add_org_unit(
                conn, code="g1", name="一网格", kind=kind, parent_code=parent
            )

        with pytest.raises(
            community.OrgUnitConflict, match="already exists as a grid under estate"
        ):
            await tx.write(elsewhere)


async def test_a_closed_unit_takes_nothing_new(tx: db.Transactions) -> None:
    async def close(conn: AsyncConnection) -> community.OrgUnit:
        unit = await community.get_org_unit(conn, "estate")
        return await community.close_org_unit(conn, unit, actor="test", now=utcnow())

    closed = await tx.write(close)
    assert closed.closed
    assert closed.closed_by == "test"

    async def add_grid(conn: AsyncConnection) -> None:
        await community.add_org_unit(
            conn, code="g2", name="二网格", kind="grid", parent_code="estate"
        )

    with pytest.raises(community.OrgUnitClosed, match="a new grid cannot be added"):
        await tx.write(add_grid)

    async def open_unit(conn: AsyncConnection) -> community.OrgUnit:
        return await community.get_open_org_unit(conn, "estate", "A volunteer")

    with pytest.raises(community.OrgUnitClosed) as refused:
        await tx.write(open_unit)
    assert refused.value.figures["org_unit"] == "estate"
    with pytest.raises(community.OrgUnitNotFound):
        await tx.write(lambda conn: community.get_open_org_unit(conn, "nosuch"))

    async def open_grid(conn: AsyncConnection) -> community.OrgUnit:
        return await community.get_open_org_unit(conn, "g1")

    assert (await tx.write(open_grid)).code == "g1"  # closing a unit closes only that unit
