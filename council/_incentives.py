"""Love incentives (爱心激励): bonuses paid, as their own labelled passbook lines, when a
scoring sheet is approved.

* a **milestone** pays ``bonus_points`` once, when a volunteer's lifetime earned points reach
  ``threshold`` (period ``once``);
* a **streak** pays ``bonus_points`` when a volunteer has served in each of ``threshold``
  consecutive ISO weeks; each run of ``threshold`` weeks pays once (period: the ISO week that
  completed it), so an unbroken run of 8 weeks pays a 4-week streak twice.

Invariant: one incentive pays one volunteer at most once per period while the award stands
(a partial unique index); reversing the sheet that earned a bonus revokes the award and
reverses the bonus with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from council._status import SheetStatus
from council._tables import (
    INCENTIVE_KINDS,
    incentive,
    incentive_award,
    scoring_sheet,
    sheet_line,
)
from council.errors import IncentiveNotFound, InvalidRule
from i18n import _

MAX_BONUS = 10_000
MAX_STREAK_WEEKS = 52
ONCE = "once"


@dataclass(frozen=True, slots=True)
class Incentive:
    id: int
    code: str
    name: str
    kind: str
    threshold: int
    bonus_points: int
    org_path: str
    active: bool


@dataclass(frozen=True, slots=True)
class Bonus:
    """A bonus due: ``points`` to ``volunteer_id`` under ``incentive`` for ``period``."""

    incentive: Incentive
    volunteer_id: int
    period: str
    points: int


def _query() -> Any:
    return select(
        incentive.c.id,
        incentive.c.code,
        incentive.c.name,
        incentive.c.kind,
        incentive.c.threshold,
        incentive.c.bonus_points,
        community.org_unit.c.path,
        incentive.c.active,
    ).join(community.org_unit, community.org_unit.c.id == incentive.c.org_unit_id)


async def add_incentive(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    kind: str,
    threshold: int,
    bonus_points: int,
    org_code: str,
    actor: str,
) -> Incentive:
    """Publish a love incentive for an org unit and everything under it (idempotent on the
    code when the terms are the same)."""
    if not community.is_code(code):
        raise InvalidRule(
            _(
                "Incentive code {code!r} must be 1-40 lower-case letters, digits or dashes.",
                code=code,
            )
        )
    if not name.strip() or len(name) > 100:
        raise InvalidRule(_("An incentive needs a name of 1 to 100 characters."))
    if kind not in INCENTIVE_KINDS:
        raise InvalidRule(
            _(
                "Incentive kind {kind!r} is not one of: {incentive_kinds}.",
                kind=kind,
                incentive_kinds=", ".join(INCENTIVE_KINDS),
            )
        )
    if kind == "streak" and not 2 <= threshold <= MAX_STREAK_WEEKS:
        raise InvalidRule(
            _(
                "A streak is 2 to {max_streak_weeks} weeks; got {threshold}.",
                max_streak_weeks=MAX_STREAK_WEEKS,
                threshold=threshold,
            )
        )
    if threshold < 1:
        raise InvalidRule(
            _("A milestone threshold is at least 1 point; got {threshold}.", threshold=threshold)
        )
    if not 1 <= bonus_points <= MAX_BONUS:
        raise InvalidRule(
            _(
                "A bonus is 1 to {max_bonus} points; got {bonus_points}.",
                max_bonus=MAX_BONUS,
                bonus_points=bonus_points,
            )
        )
    unit = await community.get_org_unit(conn, org_code)
    existing = await find_incentive(conn, code)
    if existing is not None:
        same = (existing.name, existing.kind, existing.threshold, existing.bonus_points) == (
            name.strip(),
            kind,
            threshold,
            bonus_points,
        )
        if not same or existing.org_path != unit.path:
            raise InvalidRule(
                _("An incentive with code {code!r} exists with other terms.", code=code)
            )
        return existing
    await conn.execute(
        incentive.insert().values(
            code=code,
            name=name.strip(),
            kind=kind,
            threshold=threshold,
            bonus_points=bonus_points,
            org_unit_id=unit.id,
            created_at=datetime.now(UTC),
            created_by=actor,
        )
    )
    found = await find_incentive(conn, code)
    assert found is not None
    return found


async def find_incentive(conn: AsyncConnection, code: str) -> Incentive | None:
    row = (await conn.execute(_query().where(incentive.c.code == code))).first()
    return None if row is None else Incentive(*row)


async def list_incentives(conn: AsyncConnection) -> list[Incentive]:
    return [Incentive(*row) for row in await conn.execute(_query().order_by(incentive.c.code))]


async def set_incentive_active(conn: AsyncConnection, code: str, active: bool) -> Incentive:
    found = await find_incentive(conn, code)
    if found is None:
        raise IncentiveNotFound(_("No incentive with code {code!r}.", code=code))
    await conn.execute(incentive.update().where(incentive.c.id == found.id).values(active=active))
    refreshed = await find_incentive(conn, code)
    assert refreshed is not None
    return refreshed


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def bonuses_due(
    conn: AsyncConnection,
    *,
    grid_path: str,
    activity_date: date,
    earned: dict[int, tuple[int, int]],
) -> list[Bonus]:
    """The bonuses an approved sheet earns. ``earned`` maps each volunteer on the sheet to
    their lifetime earned points (before, after) the sheet. Call it with the volunteers' rows
    locked (``approve_sheet`` does), so two approvals cannot both pay one bonus."""
    applicable = [
        i
        for i in await list_incentives(conn)
        if i.active and community.within(grid_path, i.org_path)
    ]
    due: list[Bonus] = []
    for item in applicable:
        live = await _live_periods(conn, item.id, list(earned))
        if item.kind == "milestone":
            due.extend(
                Bonus(item, volunteer_id, ONCE, item.bonus_points)
                for volunteer_id, (before, after) in earned.items()
                if before < item.threshold <= after and (volunteer_id, ONCE) not in live
            )
            continue
        served = await _served_weeks(conn, list(earned), activity_date, item.threshold)
        run = _run_ending(activity_date, item.threshold)
        for volunteer_id in earned:
            weeks = served.get(volunteer_id, set()) | {iso_week(activity_date)}
            # the run of weeks ending with the sheet's own week pays unless an award already
            # stands for one of those weeks (that run, or one overlapping it, was paid)
            if all(week in weeks for week in run) and not any(
                (volunteer_id, week) in live for week in run
            ):
                due.append(Bonus(item, volunteer_id, run[-1], item.bonus_points))
    return due


async def _live_periods(
    conn: AsyncConnection, incentive_id: int, volunteer_ids: list[int]
) -> set[tuple[int, str]]:
    rows = await conn.execute(
        select(incentive_award.c.volunteer_id, incentive_award.c.period).where(
            incentive_award.c.incentive_id == incentive_id,
            incentive_award.c.volunteer_id.in_(volunteer_ids),
            incentive_award.c.revoked_at.is_(None),
        )
    )
    return {(v, p) for v, p in rows}


def _run_ending(activity_date: date, weeks: int) -> list[str]:
    """The ISO weeks of the run of ``weeks`` weeks ending with ``activity_date``'s week."""
    monday = activity_date - timedelta(days=activity_date.weekday())
    return [iso_week(monday - timedelta(weeks=weeks - 1 - n)) for n in range(weeks)]


async def _served_weeks(
    conn: AsyncConnection, volunteer_ids: list[int], activity_date: date, weeks: int
) -> dict[int, set[str]]:
    """For each volunteer, the ISO weeks in the run ending with the sheet's week in which a
    live sheet scored them (corrected lines and reversed sheets do not count)."""
    monday = activity_date - timedelta(days=activity_date.weekday())
    rows = await conn.execute(
        select(sheet_line.c.volunteer_id, scoring_sheet.c.activity_date)
        .join(scoring_sheet, scoring_sheet.c.id == sheet_line.c.sheet_id)
        .where(
            and_(
                sheet_line.c.volunteer_id.in_(volunteer_ids),
                sheet_line.c.correction_entry_id.is_(None),
                scoring_sheet.c.status == SheetStatus.APPROVED,
                scoring_sheet.c.reversal_entry_id.is_(None),
                scoring_sheet.c.activity_date >= monday - timedelta(weeks=weeks - 1),
                scoring_sheet.c.activity_date < monday + timedelta(weeks=1),
            )
        )
    )
    served: dict[int, set[str]] = {}
    for volunteer_id, day in rows:
        served.setdefault(volunteer_id, set()).add(iso_week(day))
    return served
