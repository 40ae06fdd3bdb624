"""The registry's use cases called directly, as the command line and the pages call them:
the rule is the service's own, not the API's guards."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import access
import community
import db
from access import Principal, Role
from community import services


@pytest.fixture
async def tx(engine: AsyncEngine) -> db.Transactions:
    async def use_case(conn: AsyncConnection) -> None:
        await community.add_org_unit(conn, code="street", name="街道", kind="street")
        await community.add_org_unit(
            conn, code="estate", name="小区", kind="community", parent_code="street"
        )
        for grid in ("grid-1", "grid-2"):
            await community.add_org_unit(
                conn, code=grid, name=grid, kind="grid", parent_code="estate"
            )
        await community.add_council_member(conn, code="g1-a", name="甲", grid_code="grid-1")
        await community.register_volunteer(
            conn, passbook_number="TST-0001", name="志愿者", grid_code="grid-1"
        )

    await db.run_in_transaction(engine, use_case)
    return db.Transactions(engine)


def admin_of(path: str) -> Principal:
    return Principal(token_id=1, role=Role.ADMIN, scope=path, label="admin")


async def test_the_operator_reads_the_whole_book(tx: db.Transactions) -> None:
    report = await tx.read(services.verify_books, services.OPERATOR)
    assert report.ok


async def test_the_services_check_their_own_role_rule(tx: db.Transactions) -> None:
    council = Principal(
        token_id=2, role=Role.COUNCIL, scope="street/estate/grid-1", label="c", member_id=1
    )
    listed = await tx.read(services.list_volunteers, council)
    assert [v.passbook_number for v in listed.page.volunteers] == ["TST-0001"]
    assert listed.page.volunteers[0].status is community.VolunteerStatus.ACTIVE
    with pytest.raises(access.Forbidden):
        await tx.write(
            services.set_volunteer_status,
            council,
            number="TST-0001",
            status=community.VolunteerStatus.MOVED_AWAY,
        )
    with pytest.raises(access.Forbidden):
        await tx.read(services.trial_balance, council)
    auditor = Principal(token_id=3, role=Role.AUDITOR, scope="street", label="a")
    with pytest.raises(access.Forbidden):
        await tx.read(services.see_volunteer, auditor, number="TST-0001")
