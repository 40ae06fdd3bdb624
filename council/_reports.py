"""Grid reports: points issued per grid and month, and the volunteers' leaderboard.

Both are computed from the scoring sheets and the bonuses they paid, by activity month, so
they agree with the budgets. A volunteer who opted out of the leaderboard never appears on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from council._budgets import parse_month
from council._status import SheetStatus
from council._tables import incentive_award, scoring_sheet, sheet_line
from scheme_time import month_of


@dataclass(frozen=True, slots=True)
class IssuanceRow:
    grid_code: str
    grid_name: str
    month: str
    sheets: int
    scored: int
    bonuses: int
    taken_back: int

    @property
    def net(self) -> int:
        return self.scored + self.bonuses - self.taken_back


@dataclass(frozen=True, slots=True)
class IssuanceReport:
    """The issuance of the grids under ``scope``, per grid and month from ``since`` to
    ``until``."""

    since: str
    until: str
    scope: str
    rows: list[IssuanceRow]

    @property
    def total_net(self) -> int:
        return sum(row.net for row in self.rows)


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    passbook: str
    holder: str
    grid_code: str
    points: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """Who earned the most under ``scope`` from ``since`` to ``until``, best first."""

    scope: str
    since: str
    until: str
    rows: list[LeaderboardRow]


def _in_scope(scope: str) -> ColumnElement[bool]:
    """Org units in the subtree at ``scope`` (every unit when ``scope`` is empty)."""
    path = community.org_unit.c.path
    if not scope:
        return true()
    return (path == scope) | path.startswith(scope + "/", autoescape=True)


def month_range(since: str, until: str) -> tuple[date, date]:
    start, _ = parse_month(since)
    _, end = parse_month(until)
    return start, end


async def issuance_report(
    conn: AsyncConnection, *, scope: str, since: str, until: str
) -> list[IssuanceRow]:
    """Per grid under ``scope`` and per month from ``since`` to ``until`` (``YYYY-MM``)."""
    start, end = month_range(since, until)
    s, o = scoring_sheet, community.org_unit
    approved = and_(
        s.c.status == SheetStatus.APPROVED,
        s.c.activity_date >= start,
        s.c.activity_date < end,
        _in_scope(scope),
    )
    figures: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    names: dict[str, str] = {}
    sheets_seen: set[int] = set()
    lines = await conn.execute(
        select(
            o.c.code,
            o.c.name,
            s.c.id,
            s.c.activity_date,
            s.c.reversal_entry_id.is_not(None),
            sheet_line.c.points,
            sheet_line.c.correction_entry_id.is_not(None),
        )
        .join(o, o.c.id == s.c.grid_id)
        .join(sheet_line, sheet_line.c.sheet_id == s.c.id)
        .where(approved)
    )
    for grid, name, sheet_id, day, reversed_, points, corrected in lines:
        names[grid] = name
        row = figures[(grid, month_of(day))]
        if sheet_id not in sheets_seen:
            sheets_seen.add(sheet_id)
            row[0] += 1
        row[1] += points
        if reversed_ or corrected:
            row[3] += points
    awards = await conn.execute(
        select(
            o.c.code,
            o.c.name,
            s.c.activity_date,
            incentive_award.c.points,
            incentive_award.c.revoked_at.is_not(None),
        )
        .join(o, o.c.id == s.c.grid_id)
        .join(incentive_award, incentive_award.c.sheet_id == s.c.id)
        .where(approved)
    )
    for grid, name, day, points, revoked in awards:
        names[grid] = name
        row = figures[(grid, month_of(day))]
        row[2] += points
        if revoked:
            row[3] += points
    return [
        IssuanceRow(grid, names[grid], month, *values)
        for (grid, month), values in sorted(figures.items())
    ]


async def leaderboard(
    conn: AsyncConnection, *, scope: str, since: str, until: str, limit: int = 20
) -> list[LeaderboardRow]:
    """The volunteers under ``scope`` who earned the most points by scoring in the months
    ``since`` to ``until`` (corrected lines and reversed sheets do not count; bonuses do).
    Ties share a rank. Volunteers who opted out are left out."""
    start, end = month_range(since, until)
    s, o, v = scoring_sheet, community.org_unit, community.volunteer
    live = and_(
        s.c.status == SheetStatus.APPROVED,
        s.c.reversal_entry_id.is_(None),
        s.c.activity_date >= start,
        s.c.activity_date < end,
        v.c.leaderboard_opt_out.is_(False),
        _in_scope(scope),
    )
    totals: dict[int, int] = defaultdict(int)
    who: dict[int, tuple[str, str, str]] = {}
    rows = await conn.execute(
        select(v.c.id, v.c.passbook_number, v.c.name, o.c.code, sheet_line.c.points)
        .join(sheet_line, sheet_line.c.volunteer_id == v.c.id)
        .join(s, s.c.id == sheet_line.c.sheet_id)
        .join(o, o.c.id == v.c.grid_id)
        .where(live, sheet_line.c.correction_entry_id.is_(None))
    )
    for volunteer_id, number, name, grid, points in rows:
        totals[volunteer_id] += points
        who[volunteer_id] = (number, name, grid)
    rows = await conn.execute(
        select(v.c.id, v.c.passbook_number, v.c.name, o.c.code, incentive_award.c.points)
        .join(incentive_award, incentive_award.c.volunteer_id == v.c.id)
        .join(s, s.c.id == incentive_award.c.sheet_id)
        .join(o, o.c.id == v.c.grid_id)
        .where(live, incentive_award.c.revoked_at.is_(None))
    )
    for volunteer_id, number, name, grid, points in rows:
        totals[volunteer_id] += points
        who[volunteer_id] = (number, name, grid)
    ordered = sorted(totals.items(), key=lambda item: (-item[1], who[item[0]][0]))[:limit]
    board: list[LeaderboardRow] = []
    for position, (volunteer_id, points) in enumerate(ordered, start=1):
        rank = board[-1].rank if board and board[-1].points == points else position
        board.append(LeaderboardRow(rank, *who[volunteer_id], points))
    return board


@dataclass(frozen=True, slots=True)
class CirculationRow:
    code: str
    name: str
    kind: str
    issued: int


async def circulation(conn: AsyncConnection, *, scope: str) -> list[CirculationRow]:
    """How many points each grid and community under ``scope`` has put into circulation, as its
    issuance account in the ledger says (opening balances, sheets, bonuses, corrections)."""
    o = community.org_unit
    units = (
        await conn.execute(
            select(o.c.code, o.c.name, o.c.kind, o.c.issuance_account_id)
            .where(_in_scope(scope), o.c.issuance_account_id.is_not(None))
            .order_by(o.c.path)
        )
    ).all()
    balances = await ledger.get_balances(conn, [ledger.AccountId(u[3]) for u in units])
    return [
        CirculationRow(code, name, kind, -balances[ledger.AccountId(account)].posted)
        for code, name, kind, account in units
    ]
