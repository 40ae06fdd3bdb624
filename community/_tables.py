"""The org registry: street > community > grid, the volunteers who hold passbooks and the
council members who score them.

The database keeps the tree well-formed (known kinds, unique codes and paths), ties every
volunteer to exactly one passbook account in the ledger, keeps a volunteer's status and PIN
counters in range, and records every move between grids.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
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


org_unit = cast(Table, OrgUnitRow.__table__)
volunteer = cast(Table, VolunteerRow.__table__)
volunteer_move = cast(Table, VolunteerMoveRow.__table__)
council_member = cast(Table, CouncilMemberRow.__table__)
