"""Grid issuance budgets: the most points a grid may put into circulation in a month.

Invariant: with a budget set for a grid and month, the points of the grid's live sheets of
that month (lines not corrected, sheets not reversed) plus the bonuses they paid never pass
the cap. The check runs with the budget row locked, so two approvals cannot both squeeze in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import scheme_time
from council._status import SheetStatus
from council._tables import grid_budget, incentive_award, scoring_sheet, sheet_line
from council.errors import BudgetExceeded, InvalidRule, line_problem, naming
from i18n import _
from scheme_time import month_of

MAX_BUDGET = 10_000_000


@dataclass(frozen=True, slots=True)
class Budget:
    grid_code: str
    month: str
    cap_points: int
    issued_points: int

    @property
    def left(self) -> int:
        return self.cap_points - self.issued_points


def parse_month(text: str) -> tuple[date, date]:
    """The first day of month ``YYYY-MM`` and the first day of the next."""
    if not scheme_time.is_month(text):
        raise InvalidRule(
            _("Month {text!r} must be written YYYY-MM (2000-2999), e.g. 2026-11.", text=text)
        )
    start = scheme_time.first_day(text)
    return start, date(start.year + start.month // 12, start.month % 12 + 1, 1)


async def issued_in_month(conn: AsyncConnection, grid_id: int, month: str) -> int:
    """Points a grid's live sheets of ``month`` put into passbooks, bonuses included."""
    start, end = parse_month(month)
    in_month = and_(
        scoring_sheet.c.grid_id == grid_id,
        scoring_sheet.c.status == SheetStatus.APPROVED,
        scoring_sheet.c.reversal_entry_id.is_(None),
        scoring_sheet.c.activity_date >= start,
        scoring_sheet.c.activity_date < end,
    )
    lines = await conn.scalar(
        select(func.coalesce(func.sum(sheet_line.c.points), 0))
        .join(scoring_sheet, scoring_sheet.c.id == sheet_line.c.sheet_id)
        .where(in_month, sheet_line.c.correction_entry_id.is_(None))
    )
    bonuses = await conn.scalar(
        select(func.coalesce(func.sum(incentive_award.c.points), 0))
        .join(scoring_sheet, scoring_sheet.c.id == incentive_award.c.sheet_id)
        .where(in_month, incentive_award.c.revoked_at.is_(None))
    )
    return int(lines or 0) + int(bonuses or 0)


async def set_budget(
    conn: AsyncConnection, *, grid_code: str, month: str, cap_points: int, actor: str
) -> Budget:
    """Set (or change) a grid's budget for a month. A cap below what is already issued is
    allowed (it stops further sheets) and the answer shows both figures."""
    parse_month(month)
    if not 0 <= cap_points <= MAX_BUDGET:
        raise InvalidRule(
            _(
                "A monthly budget is 0 to {max_budget} points; got {cap_points}.",
                max_budget=MAX_BUDGET,
                cap_points=cap_points,
            )
        )
    grid = await community.find_org_unit(conn, grid_code)
    if grid is None or grid.kind != "grid":
        raise community.OrgUnitNotFound(_("No grid with code {grid_code!r}.", grid_code=grid_code))
    existing = await conn.scalar(
        select(grid_budget.c.id)
        .where(grid_budget.c.grid_id == grid.id, grid_budget.c.month == month)
        .with_for_update()
    )
    values = {"cap_points": cap_points, "set_at": datetime.now(UTC), "set_by": actor}
    if existing is None:
        await conn.execute(grid_budget.insert().values(grid_id=grid.id, month=month, **values))
    else:
        await conn.execute(grid_budget.update().where(grid_budget.c.id == existing).values(values))
    return Budget(grid_code, month, cap_points, await issued_in_month(conn, grid.id, month))


async def list_budgets(conn: AsyncConnection, grid_code: str) -> list[Budget]:
    grid = await community.find_org_unit(conn, grid_code)
    if grid is None or grid.kind != "grid":
        raise community.OrgUnitNotFound(_("No grid with code {grid_code!r}.", grid_code=grid_code))
    rows = await conn.execute(
        select(grid_budget.c.month, grid_budget.c.cap_points)
        .where(grid_budget.c.grid_id == grid.id)
        .order_by(grid_budget.c.month)
    )
    return [
        Budget(grid_code, month, cap, await issued_in_month(conn, grid.id, month))
        for month, cap in rows.all()
    ]


async def check_budget(
    conn: AsyncConnection,
    *,
    grid_id: int,
    month: date,
    adding: int,
    lines: Sequence[tuple[int, str, int]] = (),
) -> int | None:
    """Lock the grid's budget for ``month`` (if it has one) and refuse ``adding`` more points
    beyond it. Returns the cap, or None when the month has no budget. ``lines`` are the
    sheet's (line number, passbook number, points): a refusal lists them, largest first, as
    the lines to take off or lower."""
    label = month_of(month)
    cap = await conn.scalar(
        select(grid_budget.c.cap_points)
        .where(grid_budget.c.grid_id == grid_id, grid_budget.c.month == label)
        .with_for_update()
    )
    if cap is None or adding == 0:
        return None if cap is None else int(cap)
    issued = await issued_in_month(conn, grid_id, label)
    if issued + adding > cap:
        over = issued + adding - cap
        named = [
            line_problem(
                n,
                number,
                _(
                    "{points} points; the sheet is {over} over the budget",
                    points=points,
                    over=over,
                ),
                points=points,
            )
            for n, number, points in sorted(lines, key=lambda x: (-x[2], x[0]))
        ]
        said = (
            _(
                "The grid's budget for {month} is {cap} points and {issued} are issued "
                "already; this sheet would add {adding}, {over} over. Ask community staff to "
                "raise the budget, or reject the sheet so that its author revises it with fewer "
                "points. Lines to lower or take off, largest first: {lines}.",
                month=label,
                cap=cap,
                issued=issued,
                adding=adding,
                over=over,
                lines=naming(named),
            )
            if named
            else _(
                "The grid's budget for {month} is {cap} points and {issued} are issued "
                "already; this sheet would add {adding}, {over} over. Ask community staff to "
                "raise the budget, or reject the sheet so that its author revises it with fewer "
                "points.",
                month=label,
                cap=cap,
                issued=issued,
                adding=adding,
                over=over,
            )
        )
        raise BudgetExceeded(
            said,
            month=label,
            cap=int(cap),
            issued=issued,
            adding=adding,
            over=over,
            lines=named,
        )
    return int(cap)
