"""The daily cap: a volunteer's units under one rule on one day, across the live sheets
(submitted and approved), stay within the rule's cap; drafts, rejected sheets, corrected
lines and other days do not count."""

from __future__ import annotations

from datetime import timedelta

import pytest

import council
from council import services
from tests.council.conftest import DAY, World


async def test_a_line_over_the_cap_is_refused_with_its_problem(world: World) -> None:
    with pytest.raises(council.InvalidSheet) as refused:
        await world.draft([("P-1", 3), ("P-2", 2)])
    assert refused.value.figures["lines"] == [
        {
            "line": 1,
            "passbook_number": "P-1",
            "problem": "3 visits; a line is 1 to 2 visits under this rule",
        }
    ]
    assert "line 1 (P-1): 3 visits" in str(refused.value)


async def test_live_sheets_of_the_day_count_against_the_cap(world: World) -> None:
    await world.draft([("P-1", 2)])
    with pytest.raises(council.DailyCapExceeded) as refused:
        await world.draft([("P-2", 1), ("P-1", 1)])
    assert refused.value.figures["over"] == [
        {"passbook": "P-1", "name": "志愿者 P-1", "cap": 2, "already": 2, "asked": 1}
    ]
    # another volunteer, or another day, is within the cap
    await world.draft([("P-2", 2)])
    await world.draft([("P-1", 2)], day=DAY - timedelta(days=1))


async def test_drafts_do_not_count_until_they_are_submitted(world: World) -> None:
    first = await world.draft([("P-1", 2)], submit=False)
    second = await world.draft([("P-1", 1)], submit=False)
    await world.tx.write(services.submit_sheet, world.members["g1-a"], sheet_id=first.id)
    with pytest.raises(council.DailyCapExceeded):
        await world.tx.write(services.submit_sheet, world.members["g1-a"], sheet_id=second.id)


async def test_an_approved_sheet_keeps_counting_against_the_cap(world: World) -> None:
    sheet = await world.draft([("P-1", 2)])
    approved = await world.approve(sheet.id)
    assert approved.status is council.SheetStatus.APPROVED
    with pytest.raises(council.DailyCapExceeded):
        await world.draft([("P-1", 1)])
    assert await world.posted("P-1") == 10


async def test_a_rejected_sheet_or_a_corrected_line_frees_the_day(world: World) -> None:
    sheet = await world.draft([("P-1", 2)])
    await world.tx.write(
        services.reject_sheet, world.members["g1-b"], sheet_id=sheet.id, reason="日期错了"
    )
    approved = await world.approved([("P-1", 2)])
    with pytest.raises(council.DailyCapExceeded):
        await world.draft([("P-1", 1)])
    await world.taken_back(services.propose_correction, sheet_id=approved.id, line=1, reason="记错")
    again = await world.draft([("P-1", 2)])
    assert again.status is council.SheetStatus.SUBMITTED
