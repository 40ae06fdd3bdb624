"""The grid budget: with a budget set for a grid and month, the points of the grid's live
sheets of that month, bonuses included, never pass the cap; only community staff over the
grid set it."""

from __future__ import annotations

import pytest

import access
import council
from access import Role
from council import services
from tests.council.conftest import MONTH, World, staff


async def set_budget(world: World, cap: int, grid: str = "g1") -> council.Budget:
    return await world.tx.write(
        services.set_budget, world.admin, grid=grid, month=MONTH, cap_points=cap
    )


async def test_an_approval_past_the_budget_is_refused_and_posts_nothing(world: World) -> None:
    await set_budget(world, 15)
    await world.approved([("P-1", 2)])  # 10 points
    sheet = await world.draft([("P-2", 2)])  # 10 more: 5 over
    with pytest.raises(council.BudgetExceeded) as refused:
        await world.approve(sheet.id)
    assert refused.value.figures == {
        "month": MONTH,
        "cap": 15,
        "issued": 10,
        "adding": 10,
        "over": 5,
        "lines": [
            {
                "line": 1,
                "passbook_number": "P-2",
                "problem": "10 points; the sheet is 5 over the budget",
                "points": 10,
            }
        ],
    }
    assert "line 1 (P-2)" in str(refused.value)
    assert await world.posted("P-2") == 0
    budgets = await world.tx.read(services.list_budgets, world.admin, grid="g1")
    assert [(b.month, b.cap_points, b.issued_points, b.left) for b in budgets] == [
        (MONTH, 15, 10, 5)
    ]


async def test_a_reversed_sheet_gives_its_points_back_to_the_budget(world: World) -> None:
    await set_budget(world, 10)
    first = await world.approved([("P-1", 2)])
    await world.taken_back(services.propose_reversal, sheet_id=first.id, reason="重复录入")
    second = await world.approved([("P-2", 2)])
    assert second.status is council.SheetStatus.APPROVED
    assert (await set_budget(world, 10)).issued_points == 10


async def test_another_grid_s_budget_and_a_month_without_one_do_not_limit(world: World) -> None:
    await set_budget(world, 0, grid="g2")
    approved = await world.approved([("P-1", 2), ("P-2", 2)])
    assert approved.total_points == 20


async def test_only_staff_over_the_grid_set_its_budget(world: World) -> None:
    with pytest.raises(access.Forbidden):
        await world.tx.write(
            services.set_budget, world.members["g1-a"], grid="g1", month=MONTH, cap_points=10
        )
    with pytest.raises(access.Forbidden, match="outside this token's scope"):
        await world.tx.write(
            services.set_budget, staff(world.paths["g2"]), grid="g1", month=MONTH, cap_points=10
        )
    # a council member and an auditor of the grid read it
    await set_budget(world, 10)
    for reader in (world.members["g1-a"], staff(world.paths["g1"], Role.AUDITOR)):
        assert len(await world.tx.read(services.list_budgets, reader, grid="g1")) == 1
    with pytest.raises(council.InvalidRule, match="YYYY-MM"):
        await world.tx.write(
            services.set_budget, world.admin, grid="g1", month="2026-13", cap_points=10
        )
