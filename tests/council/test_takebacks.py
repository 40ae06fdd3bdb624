"""Four eyes on taking points back, and revisions, as the use cases answer them: who may
propose, confirm and decline, and what the database itself refuses."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import council
from council import services
from council._tables import sheet_takeback
from tests.council.conftest import NOW, World, staff


async def test_only_the_grid_s_council_and_staff_over_it_take_points_back(world: World) -> None:
    sheet = await world.approved([("P-1", 2)])
    with pytest.raises(council.NotYourGrid):
        await world.tx.write(
            services.propose_reversal, world.members["g2-a"], sheet_id=sheet.id, reason="x"
        )
    with pytest.raises(access.Forbidden):
        await world.tx.write(
            services.propose_reversal, staff(world.paths["g2"]), sheet_id=sheet.id, reason="x"
        )
    proposal = await world.tx.write(
        services.propose_reversal, world.members["g1-a"], sheet_id=sheet.id, reason="重复录入"
    )
    # another grid's member neither confirms nor declines; a member who stepped down neither
    with pytest.raises(council.NotYourGrid):
        await world.tx.write(
            services.confirm_takeback, world.members["g2-a"], takeback_id=proposal.id
        )

    async def step_down(conn: AsyncConnection) -> None:
        await community.step_down_council_member(conn, "g1-b")

    await world.run(step_down)
    with pytest.raises(council.NotYourGrid):
        await world.tx.write(
            services.decline_takeback, world.members["g1-b"], takeback_id=proposal.id, reason="x"
        )
    assert await world.posted("P-1") == 10
    # staff over the grid confirm
    done = await world.tx.write(services.confirm_takeback, world.admin, takeback_id=proposal.id)
    assert (done.status, done.decided_actor) == ("confirmed", world.admin.actor)
    assert await world.posted("P-1") == 0
    assert (await world.verify()).ok


async def test_the_database_refuses_a_take_back_decided_by_its_proposer(world: World) -> None:
    sheet = await world.approved([("P-1", 1)])

    async def self_declined(conn: AsyncConnection) -> None:
        await conn.execute(
            sheet_takeback.insert().values(
                sheet_id=sheet.id,
                reason="x",
                status="declined",
                proposer="member:1",
                proposed_actor="a",
                proposed_at=NOW,
                decider="member:1",
                decided_actor="a",
                decided_at=NOW,
                decline_reason="x",
            )
        )

    with pytest.raises(IntegrityError):
        await world.run(self_declined)

    async def two_open(conn: AsyncConnection) -> None:
        for proposer in ("member:1", "member:2"):
            await conn.execute(
                sheet_takeback.insert().values(
                    sheet_id=sheet.id,
                    reason="x",
                    status="proposed",
                    proposer=proposer,
                    proposed_actor="a",
                    proposed_at=NOW,
                )
            )

    with pytest.raises(IntegrityError):
        await world.run(two_open)


async def test_a_colleague_revises_a_rejected_sheet_and_the_author_approves_it(
    world: World,
) -> None:
    sheet = await world.draft([("P-1", 1)])
    await world.tx.write(
        services.reject_sheet, world.members["g1-b"], sheet_id=sheet.id, reason="少记"
    )
    revision = await world.tx.write(
        services.revise_sheet,
        world.members["g1-b"],
        sheet_id=sheet.id,
        changes=council.DraftChanges(lines=[council.LineIn("P-1", 2)]),
        submit=True,
        max_age_days=60,
        now=NOW,
    )
    assert (revision.author_code, revision.status, revision.revises_sheet_id) == (
        "g1-b",
        council.SheetStatus.SUBMITTED,
        sheet.id,
    )
    # the reviser is the new sheet's author: another member approves it
    with pytest.raises(council.FourEyes):
        await world.approve(revision.id, by="g1-b")
    approved = await world.approve(revision.id, by="g1-a")
    assert approved.total_points == 10
    with pytest.raises(council.NotYourGrid):
        await world.tx.write(
            services.revise_sheet,
            world.members["g2-a"],
            sheet_id=sheet.id,
            changes=council.DraftChanges(),
            max_age_days=60,
            now=NOW,
        )
