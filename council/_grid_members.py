"""Who may act on a grid's sheets: a serving council member of that grid, and only there.

Invariants protected here: a council member who has stepped down acts on no sheet; a council
member acts only on the sheets of their own grid (whatever their token's scope says, the
member's grid is looked up afresh in the transaction).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import community
from council.errors import NotYourGrid
from i18n import _


async def serving_member(conn: AsyncConnection, member_id: int) -> community.CouncilMember:
    """The council member ``member_id``, if they are still serving."""
    member = await community.get_council_member(conn, member_id)
    if member is None or not member.active:
        raise NotYourGrid(_("Only a serving council member can do this."))
    return member


async def grid_id(conn: AsyncConnection, grid_code: str) -> int:
    """The id of the grid ``grid_code`` (which exists: a member or a sheet names it)."""
    grid = await community.find_org_unit(conn, grid_code)
    assert grid is not None
    return grid.id


async def member_of_sheet_grid(
    conn: AsyncConnection, member_id: int, sheet_row: Any
) -> community.CouncilMember:
    """The serving council member ``member_id``, if the sheet (its locked row) is of their grid."""
    member = await serving_member(conn, member_id)
    grid = await grid_id(conn, member.grid_code)
    if grid != sheet_row.grid_id:
        raise NotYourGrid(
            _(
                "Sheet {sheet_row_id} belongs to another grid; a council member acts "
                "only in their own grid ({grid_code}).",
                sheet_row_id=sheet_row.id,
                grid_code=member.grid_code,
            )
        )
    return member
