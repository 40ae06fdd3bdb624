"""Council domain values as the API answers them: rules, incentives, budgets, sheets and
reports.

Invariant: every answer of the council's routes is built here, one presenter per schema, so a
field means the same in every answer that carries it.
"""

from __future__ import annotations

import council
import db
from api.schemas import council as cs


def rule_out(rule: council.SavingsRule) -> cs.SavingsRuleOut:
    return cs.SavingsRuleOut(
        code=rule.code,
        version=rule.version,
        name=rule.name,
        category=rule.category,
        points_per_unit=rule.points_per_unit,
        unit=rule.unit,
        daily_cap_units=rule.daily_cap_units,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
        org_unit=rule.org_path,
    )


def incentive_out(item: council.Incentive) -> cs.IncentiveOut:
    return cs.IncentiveOut(
        code=item.code,
        name=item.name,
        kind=item.kind,
        threshold=item.threshold,
        bonus_points=item.bonus_points,
        org_unit=item.org_path,
        active=item.active,
    )


def budget_out(budget: council.Budget) -> cs.BudgetOut:
    return cs.BudgetOut(
        grid=budget.grid_code,
        month=budget.month,
        cap_points=budget.cap_points,
        issued_points=budget.issued_points,
        left=budget.left,
    )


def sheet_out(sheet: council.Sheet) -> cs.SheetOut:
    return cs.SheetOut(
        id=sheet.id,
        grid=sheet.grid_code,
        community_wide=sheet.community_wide,
        rule=rule_out(sheet.rule),
        points_per_unit=sheet.points_per_unit,
        activity_date=sheet.activity_date,
        place=sheet.place,
        note=sheet.note,
        status=sheet.status.value,
        reversed=sheet.reversal_entry_id is not None,
        author=sheet.author_code,
        approver=sheet.approver_code,
        created_at=sheet.created_at,
        submitted_at=sheet.submitted_at,
        decided_at=sheet.decided_at,
        reject_reason=sheet.reject_reason,
        entry_id=sheet.entry_id,
        reversal_entry_id=sheet.reversal_entry_id,
        reversal_reason=sheet.reversal_reason,
        total_points=sheet.total_points,
        lines=[
            cs.SheetLineOut(
                line=line.line_no,
                passbook=line.passbook_number,
                holder=line.holder_name,
                units=line.units,
                points=line.points,
                note=line.note,
                corrected=line.correction_entry_id is not None,
                correction_entry_id=line.correction_entry_id,
                correction_reason=line.correction_reason,
            )
            for line in sheet.lines
        ],
        bonuses=[
            cs.BonusOut(passbook=number, incentive=name, points=points)
            for number, name, points in sheet.bonuses
        ],
        replayed=sheet.replayed,
        revises_sheet_id=sheet.revises_sheet_id,
        revised_by_sheet_id=sheet.revised_by_sheet_id,
    )


def _next_step(item: council.Takeback) -> str:
    if item.status == "proposed":
        return (
            f"Proposed: no points have moved. Another person (a council member of grid "
            f"{item.grid_code} or an admin over it) must confirm it "
            f"(POST /api/takebacks/{item.id}/confirmation) or decline it; its proposer may "
            "withdraw it."
        )
    if item.status == "confirmed":
        return f"Confirmed: the points were taken back by entry {item.entry_id}."
    return "Nothing was taken back; propose again if points must still be taken back."


def takeback_out(item: council.Takeback) -> cs.TakebackOut:
    return cs.TakebackOut(
        id=item.id,
        sheet_id=item.sheet_id,
        kind="reversal" if item.line_no is None else "correction",
        line=item.line_no,
        passbook=item.passbook_number,
        points=item.points,
        reason=item.reason,
        status=item.status,
        proposed_by=item.proposed_actor,
        proposed_at=item.proposed_at,
        decided_by=item.decided_actor,
        decided_at=item.decided_at,
        decline_reason=item.decline_reason,
        entry_id=item.entry_id,
        next_step=_next_step(item),
        replayed=item.replayed,
    )


def sheet_page_out(page: db.Page[council.SheetSummary]) -> cs.SheetPage:
    return cs.SheetPage(
        sheets=[
            cs.SheetSummaryOut(
                id=r.id,
                grid=r.grid_code,
                rule=r.rule_code,
                rule_name=r.rule_name,
                activity_date=r.activity_date,
                place=r.place,
                status=r.status.value,
                reversed=r.reversed,
                lines=r.lines,
                points=r.points,
            )
            for r in page.items
        ],
        earlier=page.earlier,
    )


def circulation_out(rows: list[council.CirculationRow]) -> list[cs.CirculationRow]:
    return [cs.CirculationRow(code=r.code, name=r.name, kind=r.kind, issued=r.issued) for r in rows]


def issuance_out(report: council.IssuanceReport) -> cs.IssuanceReport:
    return cs.IssuanceReport(
        since=report.since,
        until=report.until,
        rows=[
            cs.IssuanceRow(
                grid=r.grid_code,
                grid_name=r.grid_name,
                month=r.month,
                sheets=r.sheets,
                scored=r.scored,
                bonuses=r.bonuses,
                taken_back=r.taken_back,
                net=r.net,
            )
            for r in report.rows
        ],
        total_net=report.total_net,
    )


def leaderboard_out(board: council.Leaderboard) -> cs.Leaderboard:
    return cs.Leaderboard(
        scope=board.scope,
        since=board.since,
        until=board.until,
        rows=[
            cs.LeaderboardRow(
                rank=r.rank, passbook=r.passbook, holder=r.holder, grid=r.grid_code, points=r.points
            )
            for r in board.rows
        ],
    )


__all__ = [
    "budget_out",
    "circulation_out",
    "incentive_out",
    "issuance_out",
    "leaderboard_out",
    "rule_out",
    "sheet_out",
    "sheet_page_out",
    "takeback_out",
]
