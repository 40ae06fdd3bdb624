"""The daily cap: a volunteer's units under one rule on one day, across all live sheets, stay
within the rule's daily cap.

Drafting and submitting count the live sheets (submitted and approved); approving counts the
approved ones, with the volunteers' rows locked (``approve_sheet`` takes the locks first), so
two approvals cannot both pass the cap. Corrected lines and reversed sheets do not count. This
module also finds the volunteers a sheet names, and their passbook accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from council._rules import SavingsRule
from council._sheet import LineIn, SheetLine
from council._status import SheetStatus
from council._tables import savings_rule, scoring_sheet, sheet_line
from council._words import units_word
from council.errors import DailyCapExceeded, line_problem, naming
from i18n import _


@dataclass(frozen=True, slots=True)
class LineVolunteer:
    """A volunteer a sheet line names, as the checks need them."""

    id: int
    number: str
    name: str
    status: str
    grid_path: str
    account_id: ledger.AccountId


async def volunteers_by_number(
    conn: AsyncConnection, numbers: Sequence[str]
) -> dict[str, LineVolunteer]:
    """The volunteers holding the passbooks ``numbers``, by number (unknown ones left out)."""
    v, o = community.volunteer, community.org_unit
    rows = await conn.execute(
        select(v.c.id, v.c.passbook_number, v.c.name, v.c.status, o.c.path, v.c.account_id)
        .join(o, o.c.id == v.c.grid_id)
        .where(v.c.passbook_number.in_(list(numbers)))
    )
    return {row[1]: LineVolunteer(*row) for row in rows}


def volunteer_of(line: SheetLine) -> LineVolunteer:
    """The volunteer of a saved line, as far as the daily cap needs them."""
    return LineVolunteer(
        line.volunteer_id, line.passbook_number, line.holder_name, "", "", ledger.AccountId(0)
    )


def cap_lines(lines: Sequence[SheetLine]) -> list[tuple[LineIn, LineVolunteer]]:
    """A saved sheet's lines as the daily cap counts them."""
    return [(LineIn(x.passbook_number, x.units), volunteer_of(x)) for x in lines]


async def accounts_of(
    conn: AsyncConnection, volunteer_ids: list[int]
) -> dict[int, ledger.AccountId]:
    """Each volunteer's passbook account."""
    rows = await conn.execute(
        select(community.volunteer.c.id, community.volunteer.c.account_id).where(
            community.volunteer.c.id.in_(volunteer_ids)
        )
    )
    return {volunteer_id: ledger.AccountId(account) for volunteer_id, account in rows}


async def check_daily_cap(
    conn: AsyncConnection,
    rule: SavingsRule,
    activity_date: date,
    lines: Sequence[tuple[LineIn, LineVolunteer]],
    *,
    states: Sequence[SheetStatus],
    except_sheet: int | None = None,
) -> None:
    """Refuse if any volunteer's units under this rule that day, on live sheets (in
    ``states``) plus these lines, would pass the rule's daily cap. ``lines`` are in line
    order (line 1 first): the refusal names the lines over the cap by their numbers."""
    ids = [volunteer.id for _, volunteer in lines]
    query = (
        select(sheet_line.c.volunteer_id, func.sum(sheet_line.c.units))
        .join(scoring_sheet, scoring_sheet.c.id == sheet_line.c.sheet_id)
        .join(savings_rule, savings_rule.c.id == scoring_sheet.c.rule_id)
        .where(
            and_(
                savings_rule.c.code == rule.code,
                scoring_sheet.c.activity_date == activity_date,
                scoring_sheet.c.status.in_(list(states)),
                scoring_sheet.c.reversal_entry_id.is_(None),
                sheet_line.c.correction_entry_id.is_(None),
                sheet_line.c.volunteer_id.in_(ids),
            )
        )
        .group_by(sheet_line.c.volunteer_id)
    )
    if except_sheet is not None:
        query = query.where(scoring_sheet.c.id != except_sheet)
    already = {volunteer_id: int(units) for volunteer_id, units in await conn.execute(query)}
    over = [
        (n, line, volunteer)
        for n, (line, volunteer) in enumerate(lines, start=1)
        if already.get(volunteer.id, 0) + line.units > rule.daily_cap_units
    ]
    if over:
        said = [
            _(
                "{name} already has {already} {unit} under this rule on {day}; this line asks "
                "{asked} more, and {cap} is the most a day",
                name=volunteer.name,
                already=already.get(volunteer.id, 0),
                unit=units_word(rule.unit),
                day=activity_date,
                asked=line.units,
                cap=rule.daily_cap_units,
            )
            for _n, line, volunteer in over
        ]
        figures = [
            line_problem(
                n,
                volunteer.number,
                problem,
                cap=rule.daily_cap_units,
                already=already.get(volunteer.id, 0),
                asked=line.units,
            )
            for (n, line, volunteer), problem in zip(over, said, strict=True)
        ]
        raise DailyCapExceeded(
            _(
                "{rule_name} earns at most {daily_cap_units} {rule_unit} a day; {count} "
                "line(s) would pass it: {figures}. Lower their units or remove them.",
                rule_name=rule.name,
                daily_cap_units=rule.daily_cap_units,
                rule_unit=units_word(rule.unit),
                count=len(over),
                figures=naming(figures, said),
            ),
            over=[
                {
                    "passbook": volunteer.number,
                    "name": volunteer.name,
                    "cap": rule.daily_cap_units,
                    "already": already.get(volunteer.id, 0),
                    "asked": line.units,
                }
                for _, line, volunteer in over
            ],
            lines=figures,
        )
