"""The grid reports as the use cases answer them: in the caller's scope (or a grid inside it),
months forward, corrected and reversed points taken back."""

from __future__ import annotations

import pytest

import access
import council
import db
from access import Role
from council import services
from tests.council.conftest import MONTH, World, staff


async def test_issuance_and_the_leaderboard_within_scope(world: World) -> None:
    sheet = await world.approved([("P-1", 2), ("P-2", 1)])
    await world.taken_back(
        services.propose_correction, sheet_id=sheet.id, line=2, reason="记错", by=world.admin
    )
    auditor = staff(world.paths["street"], Role.AUDITOR)
    report = await world.tx.read(services.issuance_report, auditor, since=MONTH, until=MONTH)
    assert report.scope == world.paths["street"]
    assert [
        (r.grid_code, r.month, r.sheets, r.scored, r.taken_back, r.net) for r in report.rows
    ] == [("g1", MONTH, 1, 15, 5, 10)]
    assert report.total_net == 10
    board = await world.tx.read(
        services.leaderboard, world.members["g1-a"], since=MONTH, until=MONTH
    )
    assert board.scope == world.paths["g1"]
    assert [(r.rank, r.passbook, r.points) for r in board.rows] == [(1, "P-1", 10)]
    theirs = await world.tx.read(
        services.issuance_report, world.members["g2-a"], since=MONTH, until=MONTH
    )
    assert theirs.rows == []


async def test_reports_refuse_a_grid_outside_scope_and_months_backwards(world: World) -> None:
    with pytest.raises(access.Forbidden, match="outside this token's scope"):
        await world.tx.read(
            services.issuance_report, world.members["g2-a"], since=MONTH, until=MONTH, grid="g1"
        )
    with pytest.raises(db.InvalidRequest, match="is after 'until'"):
        await world.tx.read(services.leaderboard, world.admin, since=MONTH, until="2026-10")
    with pytest.raises(council.InvalidRule, match="YYYY-MM"):
        await world.tx.read(services.issuance_report, world.admin, since="2026-1", until=MONTH)
    volunteer = staff("P-1", Role.VOLUNTEER)
    with pytest.raises(access.Forbidden):
        await world.tx.read(services.circulation, volunteer)
