"""The sheet list: newest first, within the caller's scope, a page at a time; ``earlier`` is
offered only when an older sheet exists, so an exact last page offers none."""

from __future__ import annotations

from datetime import timedelta

import pytest

import access
from council import services
from tests.council.conftest import DAY, World, staff


async def test_an_exact_last_page_offers_no_earlier_page(world: World) -> None:
    made = [(await world.draft(day=DAY - timedelta(days=n))).id for n in range(4)]
    newest_first = sorted(made, reverse=True)
    reader = world.members["g1-a"]
    first = await world.tx.read(services.list_sheets, reader, limit=2)
    assert [s.id for s in first.items] == newest_first[:2]
    assert first.earlier == newest_first[1]
    last = await world.tx.read(services.list_sheets, reader, limit=2, before=first.earlier)
    assert [s.id for s in last.items] == newest_first[2:]
    assert last.earlier is None
    whole = await world.tx.read(services.list_sheets, reader, limit=4)
    assert (len(whole.items), whole.earlier) == (4, None)


async def test_sheets_are_listed_and_read_within_scope(world: World) -> None:
    sheet = await world.draft()
    theirs = await world.tx.read(services.list_sheets, world.members["g2-a"])
    assert theirs.items == []
    with pytest.raises(access.Forbidden):
        await world.tx.read(services.list_sheets, world.members["g2-a"], grid="g1")
    with pytest.raises(access.Forbidden, match=f"Sheet {sheet.id} belongs to grid g1"):
        await world.tx.read(services.read_sheet, staff(world.paths["g2"]), sheet_id=sheet.id)
    read = await world.tx.read(services.read_sheet, world.members["g1-b"], sheet_id=sheet.id)
    assert read.id == sheet.id
