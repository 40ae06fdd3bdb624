"""Scoring sheets: one activity, many volunteers, four eyes, one ledger entry.

A council member drafts a sheet under a savings rule and submits it; a *different* council
member of the same grid approves it (or rejects it with a reason). Approval posts the whole
sheet as one balanced entry from the grid's issuance account into the volunteers' passbooks,
and any love-incentive bonuses as their own labelled entries, all in the caller's transaction.
A posted sheet is never edited: it is corrected by reversing it whole, or one line at a time.

Invariants protected here (the database backs the ones marked *):

* every line's volunteer is active and belongs to the sheet's grid (or its community, for a
  community-wide activity); nobody scores their own service; one line per volunteer*;
* the activity date is not in the future and not older than the configured limit;
* a volunteer's units under one rule on one day, across all live sheets, stay within the
  rule's daily cap — checked with the volunteers' rows locked, so two approvals cannot both
  pass it;
* a grid's points for a month stay within its budget, if it has one (budget row locked);
* a sheet is approved once*, by someone other than its author*, and posts exactly one entry*
  (a fixed idempotency key); a line is corrected once*; a correction or reversal that would
  take a passbook below zero is refused with the shortfall.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import db
import ledger
from council._budgets import check_budget
from council._incentives import Bonus, bonuses_due
from council._rules import SavingsRule, get_rule_version, rule_in_force
from council._tables import incentive, incentive_award, savings_rule, scoring_sheet, sheet_line
from council.errors import (
    CorrectionRefused,
    DailyCapExceeded,
    DraftKeyConflict,
    DraftRace,
    FourEyes,
    InvalidSheet,
    NotYourGrid,
    SheetNotFound,
    SheetStateConflict,
)
from db import metadata
from ledger.errors import InsufficientPoints
from scheme_time import scheme_today

MAX_LINES = 1000
SCORING_KIND = "scoring"
INCENTIVE_KIND = "incentive"
LIVE_STATES = ("submitted", "approved")


@dataclass(frozen=True, slots=True)
class LineIn:
    passbook_number: str
    units: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class SheetLine:
    line_no: int
    passbook_number: str
    holder_name: str
    volunteer_id: int
    units: int
    points: int
    note: str
    correction_entry_id: int | None
    correction_reason: str | None


@dataclass(frozen=True, slots=True)
class Sheet:
    id: int
    grid_code: str
    grid_path: str
    community_wide: bool
    rule: SavingsRule
    points_per_unit: int
    activity_date: date
    place: str
    note: str
    status: str
    author_code: str
    approver_code: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    reject_reason: str | None
    entry_id: int | None
    reversal_entry_id: int | None
    reversal_reason: str | None
    lines: list[SheetLine]
    bonuses: list[tuple[str, str, int]]  # (passbook number, incentive name, points)
    replayed: bool = False

    @property
    def total_points(self) -> int:
        return sum(line.points for line in self.lines)

    @property
    def memo(self) -> str:
        return activity_memo(self.rule.name, self.activity_date, self.place)


def activity_memo(rule_name: str, on: date, place: str) -> str:
    return " · ".join(part for part in (rule_name, on.isoformat(), place) if part)


@dataclass(frozen=True, slots=True)
class _Volunteer:
    id: int
    number: str
    name: str
    status: str
    grid_path: str
    account_id: ledger.AccountId


async def _member(conn: AsyncConnection, member_id: int) -> community.CouncilMember:
    member = await community.get_council_member(conn, member_id)
    if member is None or not member.active:
        raise NotYourGrid("Only a serving council member can do this.")
    return member


async def _volunteers(conn: AsyncConnection, numbers: Sequence[str]) -> dict[str, _Volunteer]:
    v, o = community.volunteer, community.org_unit
    rows = await conn.execute(
        select(v.c.id, v.c.passbook_number, v.c.name, v.c.status, o.c.path, v.c.account_id)
        .join(o, o.c.id == v.c.grid_id)
        .where(v.c.passbook_number.in_(list(numbers)))
    )
    return {row[1]: _Volunteer(*row) for row in rows}


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
    author = await _member(conn, member_id)
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
            grid_id=await _grid_id(conn, author.grid_code),
            community_wide=community_wide,
            rule_id=rule.id,
            points_per_unit=rule.points_per_unit,
            activity_date=activity_date,
            place=place,
            note=note,
            status="draft",
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


async def _grid_id(conn: AsyncConnection, grid_code: str) -> int:
    grid = await community.find_org_unit(conn, grid_code)
    assert grid is not None
    return grid.id


async def _check_lines(
    conn: AsyncConnection,
    author: community.CouncilMember,
    rule: SavingsRule,
    activity_date: date,
    lines: Sequence[LineIn],
    community_wide: bool,
) -> list[tuple[LineIn, _Volunteer]]:
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidSheet(f"A sheet has 1 to {MAX_LINES} lines; this one has {len(lines)}.")
    found = await _volunteers(conn, [line.passbook_number for line in lines])
    where = author.grid_path.rsplit("/", 1)[0] if community_wide else author.grid_path
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    checked: list[tuple[LineIn, _Volunteer]] = []
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
    await _check_daily_cap(conn, rule, activity_date, checked, states=LIVE_STATES)
    return checked


async def _check_daily_cap(
    conn: AsyncConnection,
    rule: SavingsRule,
    activity_date: date,
    lines: Sequence[tuple[LineIn, _Volunteer]],
    *,
    states: Sequence[str],
    except_sheet: int | None = None,
) -> None:
    """Refuse if any volunteer's units under this rule that day, on live sheets (in
    ``states``) plus these lines, would pass the rule's daily cap."""
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
        {
            "passbook": volunteer.number,
            "name": volunteer.name,
            "cap": rule.daily_cap_units,
            "already": already.get(volunteer.id, 0),
            "asked": line.units,
        }
        for line, volunteer in lines
        if already.get(volunteer.id, 0) + line.units > rule.daily_cap_units
    ]
    if over:
        first = over[0]
        raise DailyCapExceeded(
            f"{rule.name} earns at most {rule.daily_cap_units} {rule.unit}s a day; "
            f"{first['name']} ({first['passbook']}) already has {first['already']} on "
            f"{activity_date} and this sheet asks {first['asked']} more"
            + (f" (and {len(over) - 1} more over the cap; see 'over')" if len(over) > 1 else "")
            + ".",
            over=over,
        )


async def _locked_sheet(conn: AsyncConnection, sheet_id: int) -> Any:
    row = (
        await conn.execute(
            select(scoring_sheet).where(scoring_sheet.c.id == sheet_id).with_for_update()
        )
    ).first()
    if row is None:
        raise SheetNotFound(f"No scoring sheet {sheet_id}.")
    return row


async def _member_of_sheet_grid(
    conn: AsyncConnection, member_id: int, sheet_row: Any
) -> community.CouncilMember:
    member = await _member(conn, member_id)
    grid = await _grid_id(conn, member.grid_code)
    if grid != sheet_row.grid_id:
        raise NotYourGrid(
            f"Sheet {sheet_row.id} belongs to another grid; a council member acts only in "
            f"their own grid ({member.grid_code})."
        )
    return member


async def submit_sheet(
    conn: AsyncConnection, *, sheet_id: int, member_id: int, now: datetime | None = None
) -> Sheet:
    """The author submits a draft for a colleague's approval (a repeat changes nothing)."""
    row = await _locked_sheet(conn, sheet_id)
    await _member_of_sheet_grid(conn, member_id, row)
    if row.author_id != member_id:
        raise FourEyes(f"Only the sheet's author submits sheet {sheet_id}.")
    if row.status == "submitted":
        return await get_sheet(conn, sheet_id, replayed=True)
    if row.status != "draft":
        raise SheetStateConflict(f"Sheet {sheet_id} is {row.status}; only a draft is submitted.")
    sheet = await get_sheet(conn, sheet_id)
    pairs = [(LineIn(x.passbook_number, x.units), _vol(x)) for x in sheet.lines]
    await _check_daily_cap(
        conn, sheet.rule, sheet.activity_date, pairs, states=LIVE_STATES, except_sheet=sheet_id
    )
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(status="submitted", submitted_at=now or datetime.now(UTC))
    )
    return await get_sheet(conn, sheet_id)


def _vol(line: SheetLine) -> _Volunteer:
    return _Volunteer(
        line.volunteer_id, line.passbook_number, line.holder_name, "", "", ledger.AccountId(0)
    )


async def reject_sheet(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    member_id: int,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> Sheet:
    """Another council member of the grid sends a submitted sheet back, saying why."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidSheet("Say why the sheet is rejected (1 to 500 characters).")
    row = await _locked_sheet(conn, sheet_id)
    await _member_of_sheet_grid(conn, member_id, row)
    if row.author_id == member_id:
        raise FourEyes(f"The author of sheet {sheet_id} cannot decide on it; ask a colleague.")
    if row.status != "submitted":
        raise SheetStateConflict(
            f"Sheet {sheet_id} is {row.status}; only a submitted sheet can be rejected."
        )
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(
            status="rejected",
            reject_reason=reason,
            approver_id=member_id,
            decided_actor=actor,
            decided_at=now or datetime.now(UTC),
        )
    )
    return await get_sheet(conn, sheet_id)


async def approve_sheet(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    member_id: int,
    actor: str,
    now: datetime | None = None,
) -> Sheet:
    """A second council member of the grid approves a submitted sheet: its points post as one
    entry, bonuses as their own entries. The same member approving again gets the approved
    sheet back (``replayed``); anyone else is told it is already approved."""
    now = now or datetime.now(UTC)
    row = await _locked_sheet(conn, sheet_id)
    approver = await _member_of_sheet_grid(conn, member_id, row)
    if row.status == "approved" and row.approver_id == member_id:
        return await get_sheet(conn, sheet_id, replayed=True)
    if row.author_id == member_id:
        raise FourEyes(
            f"You drafted sheet {sheet_id}; another council member of the grid must approve it."
        )
    if row.status != "submitted":
        raise SheetStateConflict(
            f"Sheet {sheet_id} is {row.status}"
            + (" already" if row.status == "approved" else "")
            + "; only a submitted sheet can be approved."
        )
    sheet = await get_sheet(conn, sheet_id)
    if approver.volunteer_id in {line.volunteer_id for line in sheet.lines}:
        raise FourEyes(
            f"You have a line on sheet {sheet_id}; a colleague who is not on it must approve it."
        )
    grid = await community.find_org_unit(conn, sheet.grid_code)
    assert grid is not None
    assert grid.issuance_account_id is not None
    volunteer_ids = sorted(line.volunteer_id for line in sheet.lines)
    # Lock order everywhere: budget row, then volunteers by id, then (in the ledger) accounts.
    budget = await check_budget(conn, grid_id=grid.id, month=sheet.activity_date, adding=0)
    if not db.safeguard_removed("row-lock"):  # removed only by the tests' canary
        # FOR NO KEY UPDATE: approvals of the same volunteers wait for each other, but not for
        # a draft naming them (its lines' foreign keys take KEY SHARE locks, in the order the
        # sheet lists them; FOR UPDATE would wait for those, and they for us: a deadlock).
        await conn.execute(
            select(community.volunteer.c.id)
            .where(community.volunteer.c.id.in_(volunteer_ids))
            .order_by(community.volunteer.c.id)
            .with_for_update(key_share=True)
        )
    pairs = [(LineIn(x.passbook_number, x.units), _vol(x)) for x in sheet.lines]
    await _check_daily_cap(
        conn, sheet.rule, sheet.activity_date, pairs, states=("approved",), except_sheet=sheet_id
    )
    accounts = await _accounts(conn, volunteer_ids)
    balances = await ledger.get_balances(conn, list(accounts.values()))
    earned = {
        line.volunteer_id: (
            balances[accounts[line.volunteer_id]].lifetime_earned,
            balances[accounts[line.volunteer_id]].lifetime_earned + line.points,
        )
        for line in sheet.lines
    }
    bonuses = await bonuses_due(
        conn, grid_path=sheet.grid_path, activity_date=sheet.activity_date, earned=earned
    )
    adding = sheet.total_points + sum(bonus.points for bonus in bonuses)
    if budget is not None:
        await check_budget(conn, grid_id=grid.id, month=sheet.activity_date, adding=adding)
    issuance = ledger.AccountId(grid.issuance_account_id)
    entry = await ledger.post_entry(
        conn,
        idempotency_key=f"council:sheet:{sheet_id}:approval",
        kind=SCORING_KIND,
        legs=[
            ledger.Leg(issuance, -sheet.total_points),
            *(ledger.Leg(accounts[x.volunteer_id], x.points) for x in sheet.lines),
        ],
        actor=actor,
        memo=sheet.memo,
        effective_date=sheet.activity_date,
        now=now,
    )
    await _pay_bonuses(conn, sheet, bonuses, issuance, accounts, actor, now)
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id, scoring_sheet.c.status == "submitted")
        .values(
            status="approved",
            approver_id=member_id,
            decided_actor=actor,
            decided_at=now,
            entry_id=entry.id,
        )
    )
    return await get_sheet(conn, sheet_id)


async def _accounts(conn: AsyncConnection, volunteer_ids: list[int]) -> dict[int, ledger.AccountId]:
    rows = await conn.execute(
        select(community.volunteer.c.id, community.volunteer.c.account_id).where(
            community.volunteer.c.id.in_(volunteer_ids)
        )
    )
    return {volunteer_id: ledger.AccountId(account) for volunteer_id, account in rows}


async def _pay_bonuses(
    conn: AsyncConnection,
    sheet: Sheet,
    bonuses: list[Bonus],
    issuance: ledger.AccountId,
    accounts: dict[int, ledger.AccountId],
    actor: str,
    now: datetime,
) -> None:
    """One entry per incentive, so each passbook line says which incentive paid it."""
    by_incentive: dict[int, list[Bonus]] = {}
    for bonus in bonuses:
        by_incentive.setdefault(bonus.incentive.id, []).append(bonus)
    for group in by_incentive.values():
        item = group[0].incentive
        entry = await ledger.post_entry(
            conn,
            idempotency_key=f"council:sheet:{sheet.id}:incentive:{item.code}",
            kind=INCENTIVE_KIND,
            legs=[
                ledger.Leg(issuance, -sum(b.points for b in group)),
                *(ledger.Leg(accounts[b.volunteer_id], b.points) for b in group),
            ],
            actor=actor,
            memo=f"爱心激励 love incentive · {item.name}",
            effective_date=sheet.activity_date,
            now=now,
        )
        await conn.execute(
            incentive_award.insert(),
            [
                {
                    "incentive_id": item.id,
                    "volunteer_id": b.volunteer_id,
                    "period": b.period,
                    "points": b.points,
                    "sheet_id": sheet.id,
                    "entry_id": entry.id,
                    "awarded_at": now,
                }
                for b in group
            ],
        )


async def _approved_for_correction(conn: AsyncConnection, sheet_id: int) -> Any:
    row = await _locked_sheet(conn, sheet_id)
    if row.status != "approved":
        raise SheetStateConflict(
            f"Sheet {sheet_id} is {row.status}; only an approved sheet has points to correct."
        )
    if row.reversal_entry_id is not None:
        raise SheetStateConflict(f"Sheet {sheet_id} was already reversed whole.")
    return row


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not 1 <= len(reason) <= 400:
        raise InvalidSheet("Say why the points are corrected (1 to 400 characters).")
    return reason


async def _refused(conn: AsyncConnection, error: InsufficientPoints) -> CorrectionRefused:
    holder = await conn.execute(
        select(community.volunteer.c.passbook_number, community.volunteer.c.name).where(
            community.volunteer.c.account_id == error.account_id
        )
    )
    number, name = holder.one()
    return CorrectionRefused(
        f"Correcting this would take {name}'s passbook {number} below zero: it has "
        f"{error.available} points available and the correction takes {error.needed}, "
        f"{error.short} short. Nothing was changed.",
        passbook=number,
        available=error.available,
        needed=error.needed,
        short=error.short,
    )


async def reverse_sheet(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    reason: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Sheet:
    """Reverse a posted sheet whole: its entry, and the bonuses it paid (their awards are
    revoked). ``member_id`` is the council member doing it (None for community staff, whose
    scope the caller has checked)."""
    now = now or datetime.now(UTC)
    reason = _check_reason(reason)
    row = await _approved_for_correction(conn, sheet_id)
    if member_id is not None:
        await _member_of_sheet_grid(conn, member_id, row)
    sheet = await get_sheet(conn, sheet_id)
    corrected = [line.line_no for line in sheet.lines if line.correction_entry_id is not None]
    if corrected:
        raise SheetStateConflict(
            f"Line(s) {', '.join(map(str, corrected))} of sheet {sheet_id} were corrected "
            "already; correct the other lines one by one instead of reversing the whole sheet."
        )
    memo = f"冲正 reversal · {sheet.memo}: {reason}"
    try:
        reversal = await ledger.reverse_entry(
            conn,
            entry_id=ledger.EntryId(row.entry_id),
            idempotency_key=f"council:sheet:{sheet_id}:reversal",
            actor=actor,
            memo=memo[:500],
            effective_date=scheme_today(now),
            now=now,
        )
        awards = await conn.execute(
            select(incentive_award.c.id, incentive_award.c.entry_id).where(
                incentive_award.c.sheet_id == sheet_id, incentive_award.c.revoked_at.is_(None)
            )
        )
        for entry_id in sorted({entry_id for _, entry_id in awards}):
            await ledger.reverse_entry(
                conn,
                entry_id=ledger.EntryId(entry_id),
                idempotency_key=f"council:sheet:{sheet_id}:incentive-reversal:{entry_id}",
                actor=actor,
                memo=f"冲正 reversal · 爱心激励 (bonus of sheet {sheet_id}): {reason}"[:500],
                effective_date=scheme_today(now),
                now=now,
            )
    except InsufficientPoints as error:
        raise await _refused(conn, error) from error
    await conn.execute(
        incentive_award.update()
        .where(incentive_award.c.sheet_id == sheet_id, incentive_award.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(reversal_entry_id=reversal.id, reversal_reason=reason)
    )
    return await get_sheet(conn, sheet_id)


async def correct_line(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    line_no: int,
    reason: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Sheet:
    """Take back one line's points (it was wrong): a correction entry from the passbook back
    to the grid's issuance account. A line is corrected once; re-score it on a new sheet if
    the volunteer earned a different amount."""
    now = now or datetime.now(UTC)
    reason = _check_reason(reason)
    row = await _approved_for_correction(conn, sheet_id)
    if member_id is not None:
        await _member_of_sheet_grid(conn, member_id, row)
    sheet = await get_sheet(conn, sheet_id)
    line = next((x for x in sheet.lines if x.line_no == line_no), None)
    if line is None:
        raise SheetNotFound(f"Sheet {sheet_id} has no line {line_no}.")
    if line.correction_entry_id is not None:
        raise SheetStateConflict(
            f"Line {line_no} of sheet {sheet_id} was already corrected ({line.correction_reason})."
        )
    grid = await community.find_org_unit(conn, sheet.grid_code)
    assert grid is not None
    assert grid.issuance_account_id is not None
    account = (await _accounts(conn, [line.volunteer_id]))[line.volunteer_id]
    try:
        entry = await ledger.post_entry(
            conn,
            idempotency_key=f"council:sheet:{sheet_id}:line:{line_no}:correction",
            kind=ledger.CORRECTION_KIND,
            legs=[
                ledger.Leg(account, -line.points),
                ledger.Leg(ledger.AccountId(grid.issuance_account_id), line.points),
            ],
            actor=actor,
            memo=f"更正 correction · {sheet.memo} · line {line_no}: {reason}"[:500],
            effective_date=scheme_today(now),
            now=now,
        )
    except InsufficientPoints as error:
        raise await _refused(conn, error) from error
    await conn.execute(
        sheet_line.update()
        .where(
            sheet_line.c.sheet_id == sheet_id,
            sheet_line.c.line_no == line_no,
            sheet_line.c.correction_entry_id.is_(None),
        )
        .values(correction_entry_id=entry.id, correction_reason=reason)
    )
    return await get_sheet(conn, sheet_id)


async def get_sheet(conn: AsyncConnection, sheet_id: int, *, replayed: bool = False) -> Sheet:
    s, o = scoring_sheet, community.org_unit
    author = community.council_member.alias("author")
    approver = community.council_member.alias("approver")
    row = (
        await conn.execute(
            select(s, o.c.code.label("grid_code"), o.c.path.label("grid_path"))
            .add_columns(author.c.code.label("author_code"), approver.c.code.label("approver_code"))
            .join(o, o.c.id == s.c.grid_id)
            .join(author, author.c.id == s.c.author_id)
            .outerjoin(approver, approver.c.id == s.c.approver_id)
            .where(s.c.id == sheet_id)
        )
    ).first()
    if row is None:
        raise SheetNotFound(f"No scoring sheet {sheet_id}.")
    v = community.volunteer
    lines = [
        SheetLine(*line)
        for line in await conn.execute(
            select(
                sheet_line.c.line_no,
                v.c.passbook_number,
                v.c.name,
                v.c.id,
                sheet_line.c.units,
                sheet_line.c.points,
                sheet_line.c.note,
                sheet_line.c.correction_entry_id,
                sheet_line.c.correction_reason,
            )
            .join(v, v.c.id == sheet_line.c.volunteer_id)
            .where(sheet_line.c.sheet_id == sheet_id)
            .order_by(sheet_line.c.line_no)
        )
    ]
    bonuses = [
        (number, name, points)
        for number, name, points in await conn.execute(
            select(v.c.passbook_number, incentive.c.name, incentive_award.c.points)
            .join(v, v.c.id == incentive_award.c.volunteer_id)
            .join(incentive, incentive.c.id == incentive_award.c.incentive_id)
            .where(incentive_award.c.sheet_id == sheet_id, incentive_award.c.revoked_at.is_(None))
            .order_by(incentive_award.c.id)
        )
    ]
    return Sheet(
        id=row.id,
        grid_code=row.grid_code,
        grid_path=row.grid_path,
        community_wide=row.community_wide,
        rule=await get_rule_version(conn, row.rule_id),
        points_per_unit=row.points_per_unit,
        activity_date=row.activity_date,
        place=row.place,
        note=row.note,
        status=row.status,
        author_code=row.author_code,
        approver_code=row.approver_code,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        reject_reason=row.reject_reason,
        entry_id=row.entry_id,
        reversal_entry_id=row.reversal_entry_id,
        reversal_reason=row.reversal_reason,
        lines=lines,
        bonuses=bonuses,
        replayed=replayed,
    )


@dataclass(frozen=True, slots=True)
class SheetSummary:
    id: int
    grid_code: str
    rule_code: str
    rule_name: str
    activity_date: date
    place: str
    status: str
    lines: int
    points: int
    reversed: bool


async def list_sheets(
    conn: AsyncConnection,
    *,
    scope: str,
    status: str | None = None,
    since: date | None = None,
    until: date | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[SheetSummary]:
    """Sheets of the grids under ``scope``, newest first, a page at a time."""
    s, o = scoring_sheet, community.org_unit
    totals = (
        select(
            sheet_line.c.sheet_id,
            func.count().label("lines"),
            func.sum(sheet_line.c.points).label("points"),
        )
        .group_by(sheet_line.c.sheet_id)
        .subquery()
    )
    query = (
        select(
            s.c.id,
            o.c.code,
            savings_rule.c.code,
            savings_rule.c.name,
            s.c.activity_date,
            s.c.place,
            s.c.status,
            totals.c.lines,
            totals.c.points,
            s.c.reversal_entry_id.is_not(None),
        )
        .join(o, o.c.id == s.c.grid_id)
        .join(savings_rule, savings_rule.c.id == s.c.rule_id)
        .join(totals, totals.c.sheet_id == s.c.id)
        .where((o.c.path == scope) | o.c.path.startswith(scope + "/", autoescape=True))
        .order_by(s.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(s.c.status == status)
    if since is not None:
        query = query.where(s.c.activity_date >= since)
    if until is not None:
        query = query.where(s.c.activity_date <= until)
    if before_id is not None:
        query = query.where(s.c.id < before_id)
    return [SheetSummary(*row) for row in await conn.execute(query)]
