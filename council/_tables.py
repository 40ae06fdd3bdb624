"""Savings rules, love incentives, grid budgets and scoring sheets.

What the database refuses here, whatever the code does:

* a rule version that earns nothing, has no daily cap or ends before it starts, and two rows
  for one version of one rule;
* a sheet in an unknown state, an approved sheet without its ledger entry (or the other way
  round), a sheet approved by its own author, and two lines for one volunteer on one sheet;
* two sheets drafted under one client idempotency key;
* a line with no units, a line corrected twice (its correction entry is unique);
* one incentive paid twice to one volunteer for one period, unless the first was revoked
  (a partial unique index);
* a budget below zero, and two budgets for one grid and month.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from council._status import SheetStatus
from db import Base, Id, UtcDateTime

SHEET_STATES = tuple(SheetStatus)
UNITS = ("hour", "visit", "time")
INCENTIVE_KINDS = ("milestone", "streak")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class SavingsRuleRow(Base):
    """One version of a savings rule (储蓄细则). A change makes a new version; sheets keep the
    version and the rate they were scored under."""

    __tablename__ = "savings_rule"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("points_per_unit > 0", name="earns_points"),
        CheckConstraint("daily_cap_units > 0", name="daily_cap_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(_one_of("unit", UNITS), name="unit_known"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    points_per_unit: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    daily_cap_units: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class IncentiveRow(Base):
    """A love incentive (爱心激励): a milestone bonus (lifetime earned crosses ``threshold``
    points, paid once) or a streak bonus (service in ``threshold`` consecutive weeks)."""

    __tablename__ = "incentive"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(_one_of("kind", INCENTIVE_KINDS), name="kind_known"),
        CheckConstraint("threshold > 0", name="threshold_positive"),
        CheckConstraint("bonus_points > 0", name="bonus_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[int] = mapped_column(Integer)
    bonus_points: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class GridBudgetRow(Base):
    """The most points a grid may issue by scoring sheets in one month (``YYYY-MM``)."""

    __tablename__ = "grid_budget"
    __table_args__ = (
        UniqueConstraint("grid_id", "month"),
        CheckConstraint("cap_points >= 0", name="cap_non_negative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    month: Mapped[str] = mapped_column(String(7))
    cap_points: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
    set_by: Mapped[str] = mapped_column(String(128))


class ScoringSheetRow(Base):
    """A scoring sheet: one activity, many volunteers, drafted by one council member and
    approved by another of the same grid before its points post as one ledger entry."""

    __tablename__ = "scoring_sheet"
    __table_args__ = (
        CheckConstraint(_one_of("status", SHEET_STATES), name="status_known"),
        CheckConstraint(
            f"(status = '{SheetStatus.APPROVED}') = (entry_id IS NOT NULL)", name="approved_posts"
        ),
        CheckConstraint("approver_id IS NULL OR approver_id <> author_id", name="four_eyes"),
        CheckConstraint(
            f"(status = '{SheetStatus.REJECTED}') = (reject_reason IS NOT NULL)",
            name="rejection_has_reason",
        ),
        UniqueConstraint("entry_id"),
        UniqueConstraint("reversal_entry_id"),
        UniqueConstraint("draft_key"),
        UniqueConstraint("revises_sheet_id"),
        Index("ix_scoring_sheet_grid_date", "grid_id", "activity_date"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    community_wide: Mapped[bool] = mapped_column(Boolean, server_default=false())
    rule_id: Mapped[int] = mapped_column(ForeignKey("savings_rule.id"))
    points_per_unit: Mapped[int] = mapped_column(Integer)
    activity_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("council_member.id"))
    author_actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("council_member.id"))
    decided_actor: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))
    # The client's idempotency key for drafting, and a digest of what it asked: a retried
    # draft answers the first sheet instead of making a second.
    draft_key: Mapped[str | None] = mapped_column(String(200))
    draft_digest: Mapped[str | None] = mapped_column(String(64))
    # A rejected sheet is revised into a new draft that names it; the rejected one stays as
    # history, and is revised at most once.
    revises_sheet_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_sheet.id"))


class SheetLineRow(Base):
    """One volunteer's units on a sheet; a posted line may be corrected once, by reversal."""

    __tablename__ = "sheet_line"
    __table_args__ = (
        UniqueConstraint("sheet_id", "line_no"),
        UniqueConstraint("sheet_id", "volunteer_id"),
        UniqueConstraint("correction_entry_id"),
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_sheet_line_volunteer", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("scoring_sheet.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    units: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200))
    correction_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    correction_reason: Mapped[str | None] = mapped_column(String(500))


class SheetTakebackRow(Base):
    """Taking points back from an approved sheet, with four eyes: one council member (or
    admin) proposes reversing the whole sheet (``line_id`` NULL) or correcting one line, with
    a reason; another confirms, and only then do the points move. At most one open proposal
    per line and one per whole sheet."""

    __tablename__ = "sheet_takeback"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'confirmed', 'declined')", name="status_known"),
        CheckConstraint("(status = 'proposed') = (decided_at IS NULL)", name="decided_has_time"),
        CheckConstraint("decider IS NULL OR decider <> proposer", name="four_eyes"),
        Index(
            "uq_sheet_takeback_open_sheet",
            "sheet_id",
            unique=True,
            sqlite_where=text("status = 'proposed' AND line_id IS NULL"),
            postgresql_where=text("status = 'proposed' AND line_id IS NULL"),
        ),
        Index(
            "uq_sheet_takeback_open_line",
            "line_id",
            unique=True,
            sqlite_where=text("status = 'proposed' AND line_id IS NOT NULL"),
            postgresql_where=text("status = 'proposed' AND line_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("scoring_sheet.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("sheet_line.id"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    # Four eyes compare people (:attr:`access.Principal.person`).
    proposer: Mapped[str] = mapped_column(String(128))
    proposed_actor: Mapped[str] = mapped_column(String(128))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decider: Mapped[str | None] = mapped_column(String(128))
    decided_actor: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))


class IncentiveAwardRow(Base):
    """A bonus paid under an incentive. ``period`` is ``once`` for a milestone and the ISO
    week that completed the streak for a streak bonus."""

    __tablename__ = "incentive_award"
    __table_args__ = (
        Index(
            "uq_incentive_award_live",
            "incentive_id",
            "volunteer_id",
            "period",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incentive_id: Mapped[int] = mapped_column(ForeignKey("incentive.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    period: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("scoring_sheet.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    awarded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


savings_rule = cast(Table, SavingsRuleRow.__table__)
incentive = cast(Table, IncentiveRow.__table__)
grid_budget = cast(Table, GridBudgetRow.__table__)
scoring_sheet = cast(Table, ScoringSheetRow.__table__)
sheet_line = cast(Table, SheetLineRow.__table__)
incentive_award = cast(Table, IncentiveAwardRow.__table__)
sheet_takeback = cast(Table, SheetTakebackRow.__table__)
