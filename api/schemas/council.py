"""Requests and answers of council scoring: rules, incentives, budgets, sheets, reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import Strict, WholeNumber

Code = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")


class SavingsRuleIn(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=100, examples=["楼道清理"])
    category: str = Field(min_length=1, max_length=40, examples=["property"])
    points_per_unit: WholeNumber = Field(ge=1, le=1000)
    unit: Literal["hour", "visit", "time"]
    daily_cap_units: WholeNumber = Field(ge=1, le=24)
    valid_from: date
    valid_to: date | None = None
    org_unit: str = Field(min_length=1, max_length=40, description="where the rule applies")


class SavingsRuleVersionIn(Strict):
    valid_from: date = Field(description="the new version starts this day; the old one ends")
    valid_to: date | None = None
    name: str | None = Field(default=None, min_length=1, max_length=100)
    category: str | None = Field(default=None, min_length=1, max_length=40)
    points_per_unit: WholeNumber | None = Field(default=None, ge=1, le=1000)
    daily_cap_units: WholeNumber | None = Field(default=None, ge=1, le=24)


class SavingsRuleOut(BaseModel):
    code: str
    version: int
    name: str
    category: str
    points_per_unit: int
    unit: str
    daily_cap_units: int
    valid_from: date
    valid_to: date | None
    org_unit: str = Field(description="the org path the rule applies under")


class IncentiveIn(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=100, examples=["累计满100分 100 points earned"])
    kind: Literal["milestone", "streak"]
    threshold: WholeNumber = Field(
        ge=1, le=1_000_000, description="lifetime points (milestone) or weeks in a row (streak)"
    )
    bonus_points: WholeNumber = Field(ge=1, le=10_000)
    org_unit: str = Field(min_length=1, max_length=40)


class IncentiveOut(BaseModel):
    code: str
    name: str
    kind: str
    threshold: int
    bonus_points: int
    org_unit: str
    active: bool


class BudgetIn(Strict):
    cap_points: WholeNumber = Field(ge=0, le=10_000_000)


class BudgetOut(BaseModel):
    grid: str
    month: str
    cap_points: int
    issued_points: int
    left: int


class SheetLineIn(Strict):
    passbook: str = Field(min_length=1, max_length=32)
    units: WholeNumber = Field(ge=1, le=24)
    note: str = Field(default="", max_length=200)


class SheetIn(Strict):
    rule: str = Field(min_length=1, max_length=40, description="savings rule code")
    activity_date: date
    place: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)
    community_wide: bool = Field(
        default=False, description="volunteers from the whole community, not just the grid"
    )
    lines: list[SheetLineIn] = Field(min_length=1, max_length=1000)
    submit: bool = Field(default=False, description="submit for approval at once")


class SheetEditIn(Strict):
    """What an edit of a draft, or a revision of a rejected sheet, changes; what is left out
    stays as the sheet has it (``lines``, when sent, replaces every line)."""

    rule: str | None = Field(default=None, min_length=1, max_length=40)
    activity_date: date | None = None
    place: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)
    community_wide: bool | None = None
    lines: list[SheetLineIn] | None = Field(default=None, min_length=1, max_length=1000)
    submit: bool = Field(default=False, description="submit for approval at once")


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=400)


class TakebackOut(BaseModel):
    """A proposal to take points back from a posted sheet (a reversal of the whole sheet or a
    correction of one line), and what became of it. Only a confirmation by another person
    moves points."""

    id: int
    sheet_id: int
    kind: Literal["reversal", "correction"]
    line: int | None = Field(description="the line to correct; null for the whole sheet")
    passbook: str | None
    points: int = Field(description="the points of the line, or of the whole sheet's lines")
    reason: str
    status: Literal["proposed", "confirmed", "declined", "withdrawn"]
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decline_reason: str | None
    entry_id: int | None = Field(description="the reversal or correction entry, once confirmed")
    next_step: str = Field(description="what happens next, in words")
    replayed: bool = Field(description="true when this repeats an earlier identical request")


class TakebackList(BaseModel):
    takebacks: list[TakebackOut]


class TakebackPage(BaseModel):
    takebacks: list[TakebackOut]
    earlier: int | None = Field(description="pass as 'before' for the next (older) page")


class SheetLineOut(BaseModel):
    line: int
    passbook: str
    holder: str
    units: int
    points: int
    note: str
    corrected: bool
    correction_entry_id: int | None
    correction_reason: str | None


class BonusOut(BaseModel):
    passbook: str
    incentive: str
    points: int


class SheetOut(BaseModel):
    id: int
    grid: str
    community_wide: bool
    rule: SavingsRuleOut
    points_per_unit: int
    activity_date: date
    place: str
    note: str
    status: Literal["draft", "submitted", "approved", "rejected"]
    reversed: bool
    author: str
    approver: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    reject_reason: str | None
    entry_id: int | None
    reversal_entry_id: int | None
    reversal_reason: str | None
    total_points: int
    lines: list[SheetLineOut]
    bonuses: list[BonusOut]
    replayed: bool = Field(description="true when this repeats an earlier identical request")
    revises_sheet_id: int | None = Field(description="the rejected sheet this one revises")
    revised_by_sheet_id: int | None = Field(description="the sheet that revises this rejected one")


class SheetSummaryOut(BaseModel):
    id: int
    grid: str
    rule: str
    rule_name: str
    activity_date: date
    place: str
    status: str
    reversed: bool
    lines: int
    points: int


class SheetPage(BaseModel):
    sheets: list[SheetSummaryOut]
    earlier: int | None = Field(description="pass as 'before' for the next (older) page")


class IssuanceRow(BaseModel):
    grid: str
    grid_name: str
    month: str
    sheets: int
    scored: int = Field(description="points of approved sheets, before corrections")
    bonuses: int
    taken_back: int = Field(description="points of corrected lines and reversed sheets")
    net: int


class IssuanceReport(BaseModel):
    since: str
    until: str
    rows: list[IssuanceRow]
    total_net: int


class LeaderboardRow(BaseModel):
    rank: int
    passbook: str
    holder: str
    grid: str
    points: int


class Leaderboard(BaseModel):
    scope: str
    since: str
    until: str
    rows: list[LeaderboardRow]


class CirculationRow(BaseModel):
    code: str
    name: str
    kind: Literal["street", "community", "grid"]
    issued: int = Field(description="points this unit's issuance account has put into passbooks")
