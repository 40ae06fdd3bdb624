"""Drafting a scoring sheet: every line checked, all the problems reported at once.

Invariants protected here (the database backs the ones marked *):

* every line's volunteer is active and belongs to the sheet's grid (or its community, for a
  community-wide activity); nobody scores their own service; one line per volunteer*;
* the author's grid (and every unit above it) is open: a closed grid takes no new sheets;
* the activity date is not in the future and not older than the configured limit, and the
  savings rule in force that day covers the author's grid;
* the volunteers' units stay within the rule's daily cap across the live sheets;
* one client idempotency key makes one sheet*: the same key with the same draft answers the
  first sheet, with another draft it is refused; a refusal names no passbook outside the
  author's grid beyond the number the author sent, and a line naming one is refused exactly
  as a line naming a number no passbook has (so drafting cannot probe which numbers exist);
* every refusal says which lines to change (``lines``, and the message names them); one about
  the whole sheet lists every line and names the ``field``.

Editing a draft and revising a rejected sheet (:mod:`council._draft_edits`) check their new
content with :func:`check_draft`, the same checks as drafting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
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
from council._words import units_word
from council.errors import (
    DraftKeyConflict,
    DraftRace,
    InvalidRule,
    InvalidSheet,
    RuleNotFound,
    line_problem,
    naming,
)
from db import metadata
from i18n import Message, _
from scheme_time import scheme_today


def _check_text(value: str, what: str, most: int) -> str:
    value = value.strip()
    if len(value) > most:
        raise InvalidSheet(
            _("The place is {count} characters; at most {most} fit.", count=len(value), most=most)
            if what == "place"
            else _(
                "The note is {count} characters; at most {most} fit.", count=len(value), most=most
            ),
            field=what,
        )
    return value


@dataclass(frozen=True, slots=True)
class DraftContent:
    """What a draft says: the activity and its lines."""

    rule_code: str
    activity_date: date
    place: str
    note: str
    lines: Sequence[LineIn]
    community_wide: bool = False

    def digest(self, member_id: int) -> str:
        """A digest of the content and its author: a retry with the same key must match."""
        content = [
            member_id,
            self.rule_code,
            self.activity_date.isoformat(),
            self.place.strip(),
            self.note.strip(),
            self.community_wide,
            [[line.passbook_number, line.units, line.note] for line in self.lines],
        ]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CheckedDraft:
    """A draft's content once every check passed: the rule version, the trimmed texts and
    each line with its volunteer."""

    rule: SavingsRule
    place: str
    note: str
    lines: list[tuple[LineIn, LineVolunteer]]


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
    all the problems are reported at once (``lines`` lists them by line). With an
    ``idempotency_key``, repeating the same draft answers the first sheet (``replayed``); the
    same key with a different draft is refused."""
    now = now or datetime.now(UTC)
    content = DraftContent(rule_code, activity_date, place, note, lines, community_wide)
    digest = content.digest(member_id)
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
                    _(
                        "This idempotency key was already used for a different sheet. Use a new "
                        "key for a new sheet; repeat a key only to retry exactly the same draft."
                    )
                )
            return await get_sheet(conn, earlier.id, replayed=True)
    author = await serving_member(conn, member_id)
    checked = await check_draft(conn, author, content, max_age_days=max_age_days, now=now)
    try:
        sheet_id = await insert_draft(
            conn,
            author,
            content,
            checked,
            actor=actor,
            now=now,
            draft_key=idempotency_key,
            draft_digest=digest if idempotency_key is not None else None,
        )
    except IntegrityError as error:
        if db.constraint_name(error, metadata) == "uq_scoring_sheet_draft_key":
            raise DraftRace("A draft with this key was saved meanwhile.") from error
        raise
    return await get_sheet(conn, sheet_id)


async def insert_draft(
    conn: AsyncConnection,
    author: community.CouncilMember,
    content: DraftContent,
    checked: CheckedDraft,
    *,
    actor: str,
    now: datetime,
    draft_key: str | None = None,
    draft_digest: str | None = None,
    revises_sheet_id: int | None = None,
) -> int:
    """Save a checked draft and its lines; the new sheet's id."""
    sheet_id = await conn.scalar(
        scoring_sheet.insert()
        .values(
            grid_id=await grid_id(conn, author.grid_code),
            status=SheetStatus.DRAFT,
            author_id=author.id,
            author_actor=actor,
            created_at=now,
            draft_key=draft_key,
            draft_digest=draft_digest,
            revises_sheet_id=revises_sheet_id,
            **sheet_values(content, checked),
        )
        .returning(scoring_sheet.c.id)
    )
    assert sheet_id is not None
    await insert_lines(conn, sheet_id, checked)
    return int(sheet_id)


def sheet_values(content: DraftContent, checked: CheckedDraft) -> dict[str, Any]:
    """The sheet row's columns that a draft's content sets (and an edit replaces)."""
    return {
        "community_wide": content.community_wide,
        "rule_id": checked.rule.id,
        "points_per_unit": checked.rule.points_per_unit,
        "activity_date": content.activity_date,
        "place": checked.place,
        "note": checked.note,
    }


async def insert_lines(conn: AsyncConnection, sheet_id: int, checked: CheckedDraft) -> None:
    """Write a checked draft's lines, numbered from 1 in the order given."""
    rate = checked.rule.points_per_unit
    await conn.execute(
        sheet_line.insert(),
        [
            {
                "sheet_id": sheet_id,
                "line_no": n,
                "volunteer_id": volunteer.id,
                "units": line.units,
                "points": line.units * rate,
                "note": line.note,
            }
            for n, (line, volunteer) in enumerate(checked.lines, start=1)
        ],
    )


def every_line(lines: Sequence[LineIn], problem: str) -> list[dict[str, Any]]:
    """A problem of the whole sheet, as the ``lines`` figure lists it: every line."""
    return [line_problem(n, x.passbook_number, problem) for n, x in enumerate(lines, start=1)]


async def check_draft(
    conn: AsyncConnection,
    author: community.CouncilMember,
    content: DraftContent,
    *,
    max_age_days: int,
    now: datetime,
) -> CheckedDraft:
    """Every check a draft's content passes before it is saved (drafting, editing and
    revising alike); a refusal says which lines, or which field, to change."""
    lines = content.lines
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidSheet(
            _(
                "A sheet has 1 to {max_lines} lines; this one has {count}.",
                max_lines=MAX_LINES,
                count=len(lines),
            )
        )
    # A closed grid takes no new sheets; its row is held so a concurrent close waits or wins.
    await community.get_open_org_unit(conn, author.grid_code, "A new scoring sheet")
    today, on = scheme_today(now), content.activity_date
    if on > today:
        why = f"the activity date {on} is in the future (today is {today})"
        raise InvalidSheet(
            _(
                "The activity date {on} is in the future (today is {today}); this "
                "concerns every line of the sheet: change the activity date.",
                on=on,
                today=today,
            ),
            field="activity_date",
            lines=every_line(lines, why),
        )
    if on < today - timedelta(days=max_age_days):
        why = f"the activity date {on} is more than {max_age_days} days ago"
        raise InvalidSheet(
            _(
                "The activity date {on} is more than {max_age_days} days ago; older "
                "service must be entered by community staff as an adjustment. This "
                "concerns every line of the sheet.",
                on=on,
                max_age_days=max_age_days,
            ),
            field="activity_date",
            lines=every_line(lines, why),
        )
    try:
        rule = await rule_in_force(conn, content.rule_code, on)
    except (InvalidRule, RuleNotFound) as error:
        raise type(error)(
            _(
                "{error} This concerns every line of the sheet: choose another rule or date.",
                error=error.message,
            ),
            field="rule",
            lines=every_line(lines, str(error)),
        ) from error
    if not community.within(author.grid_path, rule.org_path):
        why = f"savings rule {content.rule_code!r} does not cover grid {author.grid_code}"
        raise InvalidSheet(
            _(
                "Savings rule {rule_code!r} belongs to {org_path}, which does not cover "
                "grid {grid_code}; this concerns every line of the sheet.",
                rule_code=content.rule_code,
                org_path=rule.org_path,
                grid_code=author.grid_code,
            ),
            field="rule",
            lines=every_line(lines, why),
        )
    place = _check_text(content.place, "place", 200)
    note = _check_text(content.note, "note", 500)
    checked = await _check_lines(conn, author, rule, on, lines, content.community_wide)
    return CheckedDraft(rule, place, note, checked)


async def _check_lines(
    conn: AsyncConnection,
    author: community.CouncilMember,
    rule: SavingsRule,
    activity_date: date,
    lines: Sequence[LineIn],
    community_wide: bool,
) -> list[tuple[LineIn, LineVolunteer]]:
    found = await volunteers_by_number(conn, [line.passbook_number for line in lines])
    where = author.grid_path.rsplit("/", 1)[0] if community_wide else author.grid_path
    problems: list[dict[str, Any]] = []
    said: list[Message] = []
    seen: set[str] = set()
    checked: list[tuple[LineIn, LineVolunteer]] = []
    for n, line in enumerate(lines, start=1):
        volunteer = found.get(line.passbook_number)

        def problem(message: Message, n: int = n, line: LineIn = line) -> None:
            problems.append(line_problem(n, line.passbook_number, message))
            said.append(message)

        # A number outside the author's grid is answered exactly as one no passbook has (one
        # problem, nothing else checked): a refusal must not tell which numbers exist, nor turn
        # them into names, grids or moves.
        if volunteer is None or not community.within(volunteer.grid_path, where):
            problem(
                _(
                    "no passbook with this number in this community (one registered outside "
                    "this community is scored by its own grid's council)"
                )
                if community_wide
                else _(
                    "no passbook with this number in this grid (one registered outside this "
                    "grid is scored by its own grid's council)"
                )
            )
            continue
        if line.passbook_number in seen:
            problem(_("this volunteer already has a line on this sheet"))
        seen.add(line.passbook_number)
        if volunteer.status != "active":
            problem(_("{name} has moved away and is no longer scored", name=volunteer.name))
        if author.volunteer_id == volunteer.id:
            problem(_("a council member cannot score their own service"))
        if not 1 <= line.units <= rule.daily_cap_units:
            problem(
                _(
                    "{units} {unit}; a line is 1 to {most} {unit} under this rule",
                    units=line.units,
                    unit=units_word(rule.unit),
                    most=rule.daily_cap_units,
                )
            )
        if len(line.note) > 200:
            problem(_("the note is longer than 200 characters"))
        checked.append((line, volunteer))
    if problems:
        raise InvalidSheet(
            _(
                "{count} line problem(s) on this sheet: {problems}. Change or remove "
                "these lines; nothing was saved.",
                count=len(problems),
                problems=naming(problems, said),
            ),
            lines=problems,
        )
    await check_daily_cap(conn, rule, activity_date, checked, states=LIVE_STATES)
    return checked
