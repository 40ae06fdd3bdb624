"""Deciding on a scoring sheet: the author submits it, a colleague approves or rejects it, and
approval posts it.

Invariants protected here (the database backs the ones marked *):

* four eyes: only the author submits a sheet; someone other than its author* decides on it,
  and only a serving council member of the sheet's grid; an approver with a line on the sheet
  may not approve it;
* a sheet moves draft -> submitted -> approved or rejected, and only so; it is approved once*
  and posts exactly one entry* (a fixed idempotency key); a repeat by the same member answers
  the sheet as it is (``replayed``);
* at submission and at approval every line's volunteer is still active and still of the
  sheet's grid (or community); a refusal names the lines to change;
* at approval, with the budget row and then the volunteers' rows locked (in that order, every
  time): the daily cap over the approved sheets and the grid's monthly budget, bonuses
  included, still hold; the love-incentive bonuses post as their own entries, one per
  incentive, each award paid once per period.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import db
import ledger
import observe
from council._budgets import check_budget
from council._daily_cap import accounts_of, cap_lines, check_daily_cap, volunteers_by_number
from council._grid_members import member_of_sheet_grid
from council._incentives import Bonus, bonuses_due
from council._sheet import INCENTIVE_KIND, SCORING_KIND, Sheet, get_sheet, locked_sheet
from council._status import LIVE_STATES, SheetStatus
from council._tables import incentive_award, scoring_sheet
from council._words import status_word
from council.errors import FourEyes, InvalidSheet, SheetStateConflict, line_problem, naming
from i18n import Message, _


async def recheck_volunteers(conn: AsyncConnection, sheet: Sheet, *, then: Message) -> None:
    """Refuse a sheet naming a volunteer who moved away, or out of the sheet's grid (its
    community, for a community-wide sheet), since it was drafted; ``then`` says what to do."""
    where = sheet.grid_path.rsplit("/", 1)[0] if sheet.community_wide else sheet.grid_path
    found = await volunteers_by_number(conn, [line.passbook_number for line in sheet.lines])
    problems = []
    said: list[Message] = []
    for line in sheet.lines:
        volunteer = found[line.passbook_number]
        problem: Message | None = None
        if not community.within(volunteer.grid_path, where):
            problem = _("registered outside the sheet's grid now")
        elif volunteer.status != "active":
            problem = _("{name} has moved away since the sheet was drafted", name=volunteer.name)
        if problem is not None:
            problems.append(line_problem(line.line_no, line.passbook_number, problem))
            said.append(problem)
    if problems:
        raise InvalidSheet(
            _(
                "{count} line(s) of sheet {sheet_id} can no longer be scored: {problems}. {then}",
                count=len(problems),
                sheet_id=sheet.id,
                problems=naming(problems, said),
                then=then,
            ),
            lines=problems,
        )


async def submit_sheet(
    conn: AsyncConnection, *, sheet_id: int, member_id: int, now: datetime | None = None
) -> Sheet:
    """The author submits a draft for a colleague's approval (a repeat changes nothing)."""
    row = await locked_sheet(conn, sheet_id)
    await member_of_sheet_grid(conn, member_id, row)
    if row.author_id != member_id:
        raise FourEyes(_("Only the sheet's author submits sheet {sheet_id}.", sheet_id=sheet_id))
    if row.status == SheetStatus.SUBMITTED:
        return await get_sheet(conn, sheet_id, replayed=True)
    if row.status != SheetStatus.DRAFT:
        raise SheetStateConflict(
            _(
                "Sheet {sheet_id} is {row_status}; only a draft is submitted.",
                sheet_id=sheet_id,
                row_status=status_word(row.status),
            )
        )
    sheet = await get_sheet(conn, sheet_id)
    await recheck_volunteers(conn, sheet, then=_("Edit the draft to remove them, then submit it."))
    await check_daily_cap(
        conn,
        sheet.rule,
        sheet.activity_date,
        cap_lines(sheet.lines),
        states=LIVE_STATES,
        except_sheet=sheet_id,
    )
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(status=SheetStatus.SUBMITTED, submitted_at=now or datetime.now(UTC))
    )
    return await get_sheet(conn, sheet_id)


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
        raise InvalidSheet(_("Say why the sheet is rejected (1 to 500 characters)."))
    row = await locked_sheet(conn, sheet_id)
    await member_of_sheet_grid(conn, member_id, row)
    if row.author_id == member_id:
        raise FourEyes(
            _(
                "The author of sheet {sheet_id} cannot decide on it; ask a colleague.",
                sheet_id=sheet_id,
            )
        )
    if row.status != SheetStatus.SUBMITTED:
        raise SheetStateConflict(
            _(
                "Sheet {sheet_id} is {row_status}; only a submitted sheet can be rejected.",
                sheet_id=sheet_id,
                row_status=status_word(row.status),
            )
        )
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(
            status=SheetStatus.REJECTED,
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
    row = await locked_sheet(conn, sheet_id)
    approver = await member_of_sheet_grid(conn, member_id, row)
    if row.status == SheetStatus.APPROVED and row.approver_id == member_id:
        return await get_sheet(conn, sheet_id, replayed=True)
    if row.author_id == member_id:
        raise FourEyes(
            _(
                "You drafted sheet {sheet_id}; another council member of the grid must approve it.",
                sheet_id=sheet_id,
            )
        )
    if row.status != SheetStatus.SUBMITTED:
        raise SheetStateConflict(
            _(
                "Sheet {sheet_id} is approved already; only a submitted sheet can be approved.",
                sheet_id=sheet_id,
            )
            if row.status == SheetStatus.APPROVED
            else _(
                "Sheet {sheet_id} is {row_status}; only a submitted sheet can be approved.",
                sheet_id=sheet_id,
                row_status=status_word(row.status),
            )
        )
    sheet = await get_sheet(conn, sheet_id)
    own = [x for x in sheet.lines if x.volunteer_id == approver.volunteer_id]
    if own:
        raise FourEyes(
            _(
                "You have a line on sheet {sheet_id} (line {line_no}, "
                "{passbook_number}); a colleague who is not on it must approve it.",
                sheet_id=sheet_id,
                line_no=own[0].line_no,
                passbook_number=own[0].passbook_number,
            ),
            lines=[
                line_problem(own[0].line_no, own[0].passbook_number, _("the approver's own line"))
            ],
        )
    await recheck_volunteers(
        conn, sheet, then=_("Reject the sheet so that its author revises it without them.")
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
    await check_daily_cap(
        conn,
        sheet.rule,
        sheet.activity_date,
        cap_lines(sheet.lines),
        states=(SheetStatus.APPROVED,),
        except_sheet=sheet_id,
    )
    accounts = await accounts_of(conn, volunteer_ids)
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
        await check_budget(
            conn,
            grid_id=grid.id,
            month=sheet.activity_date,
            adding=adding,
            lines=[(x.line_no, x.passbook_number, x.points) for x in sheet.lines],
        )
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
    paid = await _pay_bonuses(conn, sheet, bonuses, issuance, accounts, actor, now)
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id, scoring_sheet.c.status == SheetStatus.SUBMITTED)
        .values(
            status=SheetStatus.APPROVED,
            approver_id=member_id,
            decided_actor=actor,
            decided_at=now,
            entry_id=entry.id,
        )
    )
    grid_code = observe.grid_of(sheet.grid_path)
    observe.sheet_approved(grid_code)
    observe.points_issued(grid_code, "sheet", sheet.total_points)
    observe.points_issued(grid_code, "incentive", sum(bonus.points for bonus in bonuses))
    # Answered from what was just written, not read back: the grid's issuance account stays
    # locked from the posting to the commit, and every round trip here keeps the grid's
    # other approvals waiting (a submitted sheet had no bonuses before; these are them).
    return dataclasses.replace(
        sheet,
        status=SheetStatus.APPROVED,
        approver_code=approver.code,
        decided_at=now,
        entry_id=entry.id,
        bonuses=paid,
    )


async def _pay_bonuses(
    conn: AsyncConnection,
    sheet: Sheet,
    bonuses: list[Bonus],
    issuance: ledger.AccountId,
    accounts: dict[int, ledger.AccountId],
    actor: str,
    now: datetime,
) -> list[tuple[str, str, int]]:
    """One entry per incentive, so each passbook line says which incentive paid it. Returns
    the awards as the sheet shows them (passbook, incentive, points), in the order made."""
    number = {line.volunteer_id: line.passbook_number for line in sheet.lines}
    paid: list[tuple[str, str, int]] = []
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
            memo=f"爱心激励 · {item.name}",
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
        paid += [(number[b.volunteer_id], item.name, b.points) for b in group]
    return paid
