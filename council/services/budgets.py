"""Use cases of the grid budgets: the most points a grid may issue in a month.

Invariant: community staff, council members and auditors read the budgets of the grids inside
their own unit; only community staff (an admin) of a unit holding the grid set them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import council
from access import Principal, Role

READERS = (Role.ADMIN, Role.COUNCIL, Role.AUDITOR)


async def list_budgets(
    conn: AsyncConnection, principal: Principal, *, grid: str
) -> list[council.Budget]:
    """The grid's monthly budgets, each with what its month has issued, by month.

    An admin, council member or auditor may read them for a grid inside their own unit
    (:class:`access.Forbidden` otherwise); an unknown grid is
    :class:`community.OrgUnitNotFound`."""
    access.require_role(principal, *READERS)
    await access.org_unit_in_scope(conn, principal, grid)
    return await council.list_budgets(conn, grid)


async def set_budget(
    conn: AsyncConnection, principal: Principal, *, grid: str, month: str, cap_points: int
) -> council.Budget:
    """Set (or change) the grid's budget for ``month`` (``YYYY-MM``). A cap below what is
    already issued is allowed: it stops further sheets, and the answer shows both figures.

    Only an admin of a unit holding the grid may (:class:`access.Forbidden` otherwise); a
    month or cap out of bounds is :class:`council.InvalidRule`."""
    access.require_role(principal, Role.ADMIN)
    await access.org_unit_in_scope(conn, principal, grid)
    return await council.set_budget(
        conn, grid_code=grid, month=month, cap_points=cap_points, actor=principal.actor
    )
