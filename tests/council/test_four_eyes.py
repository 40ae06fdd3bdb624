"""Four eyes: the author of a sheet cannot decide on it; the one who approves (or rejects) it
is another serving council member of the same grid, with no line on it; only the author
submits it."""

from __future__ import annotations

import pytest

import access
import community
import council
import ledger
from council import services
from tests.council.conftest import NOW, World


async def test_the_author_cannot_approve_their_own_sheet(world: World) -> None:
    sheet = await world.draft()
    with pytest.raises(council.FourEyes, match="another council member of the grid"):
        await world.approve(sheet.id, by="g1-a")
    assert await world.posted("P-1") == 0
    again = await world.tx.read(services.read_sheet, world.admin, sheet_id=sheet.id)
    assert again.status is council.SheetStatus.SUBMITTED


async def test_another_member_of_the_grid_approves_and_the_books_say_who(world: World) -> None:
    sheet = await world.draft([("P-1", 2), ("P-2", 1)])
    approved = await world.approve(sheet.id, by="g1-b")
    assert approved.status is council.SheetStatus.APPROVED
    assert (approved.author_code, approved.approver_code) == ("g1-a", "g1-b")
    entry_id = approved.entry_id
    assert entry_id is not None
    assert (await world.posted("P-1"), await world.posted("P-2")) == (10, 5)
    entry = await world.tx.read(lambda conn: ledger.load_entry(conn, ledger.EntryId(entry_id)))
    assert (entry.kind, entry.actor) == (council.SCORING_KIND, "test:g1-b")
    # the same member approving again gets the sheet back, posting nothing more
    replay = await world.approve(sheet.id, by="g1-b")
    assert (replay.replayed, replay.entry_id) == (True, approved.entry_id)
    assert await world.posted("P-1") == 10
    assert (await world.verify()).ok


async def test_a_member_of_another_grid_cannot_decide(world: World) -> None:
    sheet = await world.draft()
    with pytest.raises(council.NotYourGrid, match="belongs to another grid"):
        await world.approve(sheet.id, by="g2-a")
    with pytest.raises(council.NotYourGrid):
        await world.tx.write(
            services.reject_sheet, world.members["g2-a"], sheet_id=sheet.id, reason="不对"
        )
    assert await world.posted("P-1") == 0


async def test_a_member_who_stepped_down_cannot_approve(world: World) -> None:
    sheet = await world.draft()
    await world.run(lambda conn: community.step_down_council_member(conn, "g1-b"))
    with pytest.raises(council.NotYourGrid, match="Only a serving council member"):
        await world.approve(sheet.id, by="g1-b")
    assert await world.posted("P-1") == 0


async def test_an_approver_with_a_line_on_the_sheet_cannot_approve_it(world: World) -> None:
    sheet = await world.draft([("P-1", 1), ("P-9", 1)])
    with pytest.raises(council.FourEyes, match="You have a line on sheet"):
        await world.approve(sheet.id, by="g1-v")
    approved = await world.approve(sheet.id, by="g1-b")
    assert approved.approver_code == "g1-b"


async def test_nobody_scores_their_own_service(world: World) -> None:
    with pytest.raises(council.InvalidSheet) as refused:
        await world.draft([("P-9", 1)], by="g1-v")
    assert refused.value.figures["lines"] == [
        {
            "line": 1,
            "passbook_number": "P-9",
            "problem": "a council member cannot score their own service",
        }
    ]


async def test_the_author_cannot_reject_and_only_the_author_submits(world: World) -> None:
    sheet = await world.draft(submit=False)
    with pytest.raises(council.FourEyes, match="Only the sheet's author submits"):
        await world.tx.write(services.submit_sheet, world.members["g1-b"], sheet_id=sheet.id)
    await world.tx.write(services.submit_sheet, world.members["g1-a"], sheet_id=sheet.id, now=NOW)
    with pytest.raises(council.FourEyes, match="cannot decide on it"):
        await world.tx.write(
            services.reject_sheet, world.members["g1-a"], sheet_id=sheet.id, reason="重填"
        )
    rejected = await world.tx.write(
        services.reject_sheet, world.members["g1-b"], sheet_id=sheet.id, reason="重填"
    )
    assert (rejected.status, rejected.reject_reason) == (council.SheetStatus.REJECTED, "重填")
    with pytest.raises(council.SheetStateConflict):
        await world.approve(sheet.id, by="g1-b")


async def test_only_a_council_member_drafts_and_decides(world: World) -> None:
    sheet = await world.draft()
    for use_case in (services.submit_sheet, services.approve_sheet):
        with pytest.raises(access.Forbidden, match="Only a council member's token"):
            await world.tx.write(use_case, world.admin, sheet_id=sheet.id)
    assert await world.posted("P-1") == 0
