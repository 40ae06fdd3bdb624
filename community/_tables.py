"""The org registry: street > community > grid, the volunteers who hold passbooks and the
council members who score them.

The database keeps the tree well-formed (known kinds, unique codes and paths), ties every
volunteer to exactly one passbook account in the ledger, keeps a volunteer's status and PIN
counters in range, and records every move between grids.
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

from db import Base, Id, UtcDateTime


class OrgUnitRow(Base):
    __tablename__ = "org_unit"
    __table_args__ = (
        UniqueConstraint("code"),
        UniqueConstraint("path"),
        CheckConstraint("kind IN ('street', 'community', 'grid')", name="kind_known"),
        CheckConstraint("(kind = 'street') = (parent_id IS NULL)", name="only_streets_are_roots"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    path: Mapped[str] = mapped_column(String(200))
    issuance_account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_account.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A closed unit takes no new volunteers, sheets or credentials; its history stays.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(128))


class VolunteerRow(Base):
    __tablename__ = "volunteer"
    __table_args__ = (
        UniqueConstraint("passbook_number"),
        UniqueConstraint("account_id"),
        CheckConstraint("status IN ('active', 'moved_away')", name="status_known"),
        CheckConstraint("pin_failures >= 0", name="pin_failures_non_negative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    passbook_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The day the volunteer joined the scheme (入册日期): for a passbook carried over from
    # paper it is older than ``registered_at``; "registered at least N months" counts from it.
    joined_on: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'active'"))
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Sign-in by PIN: the hash (salted scrypt), consecutive failures, when the last one was,
    # and until when sign-in is locked after too many.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    pin_last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VolunteerMoveRow(Base):
    """A volunteer's move from one grid to another; the passbook and its history stay."""

    __tablename__ = "volunteer_move"
    __table_args__ = (CheckConstraint("from_grid_id <> to_grid_id", name="moves_somewhere"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    from_grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    to_grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(128))


class CouncilMemberRow(Base):
    """A person with the council role in one grid. Four eyes compare these ids, not tokens:
    one person holding two tokens is still one pair of eyes."""

    __tablename__ = "council_member"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("volunteer_id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    # The member's own passbook, if they volunteer too: nobody scores their own service.
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BooksRow(Base):
    """The books themselves: one row, written when they are opened, saying which street
    they keep and whether they are real books (``passbook init``) or the demo. Real books
    never take demo data or accept a demo token."""

    __tablename__ = "books"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint("kind IN ('real', 'demo')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))
    street_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[str] = mapped_column(String(128))


class PointsGrantRow(Base):
    """Points put into a passbook outside a scoring sheet, with four eyes: a paper
    passbook's last balance carried over (``opening``, at most one per passbook) or an
    ``adjustment`` for service too old for a sheet. One staff member proposes, another
    confirms; only the confirmation posts the ledger entry."""

    __tablename__ = "points_grant"
    __table_args__ = (
        CheckConstraint("kind IN ('opening', 'adjustment')", name="kind_known"),
        CheckConstraint("status IN ('proposed', 'confirmed', 'rejected')", name="status_known"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("(status = 'confirmed') = (entry_id IS NOT NULL)", name="confirmed_posts"),
        CheckConstraint("(status = 'proposed') = (decided_at IS NULL)", name="decided_has_time"),
        CheckConstraint("decider IS NULL OR decider <> proposer", name="four_eyes"),
        UniqueConstraint("entry_id"),
        UniqueConstraint("propose_key"),
        Index(
            "uq_points_grant_one_opening",
            "volunteer_id",
            unique=True,
            sqlite_where=text("kind = 'opening' AND status <> 'rejected'"),
            postgresql_where=text("kind = 'opening' AND status <> 'rejected'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    # The paper passbook's date for an opening balance, the day served for an adjustment.
    as_of: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    # Four eyes compare people (:attr:`access.Principal.person`); the actors are what the
    # books record.
    proposer: Mapped[str] = mapped_column(String(128))
    proposed_actor: Mapped[str] = mapped_column(String(128))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decider: Mapped[str | None] = mapped_column(String(128))
    decided_actor: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    # Grants proposed together from one file share a batch, so they can be confirmed at once.
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    propose_key: Mapped[str | None] = mapped_column(String(200))
    propose_digest: Mapped[str | None] = mapped_column(String(64))


org_unit = cast(Table, OrgUnitRow.__table__)
volunteer = cast(Table, VolunteerRow.__table__)
volunteer_move = cast(Table, VolunteerMoveRow.__table__)
council_member = cast(Table, CouncilMemberRow.__table__)
books = cast(Table, BooksRow.__table__)
points_grant = cast(Table, PointsGrantRow.__table__)
