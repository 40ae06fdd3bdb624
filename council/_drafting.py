"""Drafting a scoring sheet: every line checked, all the problems reported at once.

Invariants protected here (the database backs the ones marked *):

* every line's volunteer is active and belongs to the sheet's grid (or its community, for a
  community-wide activity); nobody scores their own service; one line per volunteer*;
* the activity date is not in the future and not older than the configured limit, and the
  savings rule in force that day covers the author's grid;
* the volunteers' units stay within the rule's daily cap across the live sheets;
* one client idempotency key makes one sheet*: the same key with the same draft answers the
  first sheet, with another draft it is refused; a refusal names no passbook outside the
  author's grid beyond the number the author sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import db
from council._daily_cap import LineVolunteer, check_daily_cap, volunteers_by_number
from council._grid_members import grid_id, serving_member
from council._rules import SavingsRule, rule_in_force
from council._sheet import MAX_LINES, LineIn, Sheet, get_sheet
from council._status import LIVE_STATES, SheetStatus
from council._tables import scoring_sheet, sheet_line
from council.errors import DraftKeyConflict, DraftRace, InvalidSheet
from db import metadata
from scheme_time import scheme_today


def _check_text(value: str, what: str, most: int) -> str:
    value = value.strip()
    if len(value) > most:
        raise InvalidSheet(f"The {what} is {len(value)} characters; at most {most} fit.")
    return value


async def draft_sheet(
    conn: AsyncConnection,
    *,
    member_id: int,
    rule_code: str,
    activity_date: date,
    place: str,
    note: str,
    lines: Sequence[LineIn],
    community_wide: bool = False,
    actor: str,
    max_age_days: int,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Sheet:
    """Draft a sheet for one activity in the author's grid. Every line is checked now, and
    all the problems are reported at once (``problems`` lists them by line). With an
    ``idempotency_key``, repeating the same draft answers the first sheet (``replayed``); the
    same key with a different draft is refused."""
    now = now or datetime.now(UTC)
    digest = _draft_digest(member_id, rule_code, activity_date, place, note, lines, community_wide)
    if idempotency_key is not None:
        earlier = (
            await conn.execute(
                select(scoring_sheet.c.id, scoring_sheet.c.draft_digest).where(
                    scoring_sheet.c.draft_key == idempotency_key
                )
            )
        ).first()
        if earlier is not None:
            if earlier.draft_digest != digest:
                raise DraftKeyConflict(
                    "This idempotency key was already used for a different sheet. Use a new "
                    "key for a new sheet; repeat a key only to retry exactly the same draft."
                )
            return await get_sheet(conn, earlier.id, replayed=True)
    author = await serving_member(conn, member_id)
    today = scheme_today(now)
    if activity_date > today:
        raise InvalidSheet(
            f"The activity date {activity_date} is in the future (today is {today})."
        )
    if activity_date < today - timedelta(days=max_age_days):
        raise InvalidSheet(
            f"The activity date {activity_date} is more than {max_age_days} days ago; older "
            "service must be entered by community staff as an adjustment."
        )
    rule = await rule_in_force(conn, rule_code, activity_date)
    if not community.within(author.grid_path, rule.org_path):
        raise InvalidSheet(
            f"Savings rule {rule_code!r} belongs to {rule.org_path}, which does not cover grid "
            f"{author.grid_code}."
        )
    place = _check_text(place, "place", 200)
    note = _check_text(note, "note", 500)
    checked = await _check_lines(conn, author, rule, activity_date, lines, community_wide)
    insert = (
        scoring_sheet.insert()
        .values(
            grid_id=await grid_id(conn, author.grid_code),
            community_wide=community_wide,
            rule_id=rule.id,
            points_per_unit=rule.points_per_unit,
            activity_date=activity_date,
            place=place,
            note=note,
            status=SheetStatus.DRAFT,
            author_id=author.id,
            author_actor=actor,
            created_at=now,
            draft_key=idempotency_key,
            draft_digest=digest if idempotency_key is not None else None,
        )
        .returning(scoring_sheet.c.id)
    )
    try:
        sheet_id = await conn.scalar(insert)
    except IntegrityError as error:
        if db.constraint_name(error, metadata) == "uq_scoring_sheet_draft_key":
            raise DraftRace("A draft with this key was saved meanwhile.") from error
        raise
    assert sheet_id is not None
    await conn.execute(
        sheet_line.insert(),
        [
            {
                "sheet_id": sheet_id,
                "line_no": n,
                "volunteer_id": volunteer.id,
                "units": line.units,
                "points": line.units * rule.points_per_unit,
                "note": line.note,
            }
            for n, (line, volunteer) in enumerate(checked, start=1)
        ],
    )
    return await get_sheet(conn, sheet_id)


def _draft_digest(
    member_id: int,
    rule_code: str,
    activity_date: date,
    place: str,
    note: str,
    lines: Sequence[LineIn],
    community_wide: bool,
) -> str:
    content = [
        member_id,
        rule_code,
        activity_date.isoformat(),
        place.strip(),
        note.strip(),
        community_wide,
        [[line.passbook_number, line.units, line.note] for line in lines],
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


async def _check_lines(
    conn: AsyncConnection,
    author: community.CouncilMember,
    rule: SavingsRule,
    activity_date: date,
    lines: Sequence[LineIn],
    community_wide: bool,
) -> list[tuple[LineIn, LineVolunteer]]:
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidSheet(f"A sheet has 1 to {MAX_LINES} lines; this one has {len(lines)}.")
    found = await volunteers_by_number(conn, [line.passbook_number for line in lines])
    where = author.grid_path.rsplit("/", 1)[0] if community_wide else author.grid_path
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    checked: list[tuple[LineIn, LineVolunteer]] = []
    for n, line in enumerate(lines, start=1):
        volunteer = found.get(line.passbook_number)

        def problem(message: str, n: int = n, line: LineIn = line) -> None:
            problems.append({"line": n, "passbook": line.passbook_number, "problem": message})

        if volunteer is None:
            problem("no passbook with this number")
            continue
        if line.passbook_number in seen:
            problem("this volunteer already has a line on this sheet")
        seen.add(line.passbook_number)
        # Someone outside the author's grid is named by nothing but the number the author sent:
        # a refusal must not turn passbook numbers into names, grids or moves.
        if not community.within(volunteer.grid_path, where):
            problem(
                "this passbook is registered outside "
                + ("this community" if community_wide else "this grid")
                + "; only its own grid's council scores it"
            )
        elif volunteer.status != "active":
            problem(f"{volunteer.name} has moved away and is no longer scored")
        if author.volunteer_id == volunteer.id:
            problem("a council member cannot score their own service")
        if not 1 <= line.units <= rule.daily_cap_units:
            problem(
                f"{line.units} {rule.unit}s; a line is 1 to {rule.daily_cap_units} "
                f"{rule.unit}s under this rule"
            )
        if len(line.note) > 200:
            problem("the note is longer than 200 characters")
        checked.append((line, volunteer))
    if problems:
        raise InvalidSheet(
            f"{len(problems)} line(s) of this sheet cannot be scored; 'problems' lists them. "
            "Nothing was saved.",
            problems=problems,
        )
    await check_daily_cap(conn, rule, activity_date, checked, states=LIVE_STATES)
    return checked
