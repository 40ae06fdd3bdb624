"""The org registry: street > community > grid, and the volunteers who hold passbooks.

The database keeps the tree well-formed (known kinds, unique codes and paths) and ties every
volunteer to exactly one passbook account in the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
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
    __table_args__ = (UniqueConstraint("passbook_number"), UniqueConstraint("account_id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    passbook_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)


org_unit = cast(Table, OrgUnitRow.__table__)
volunteer = cast(Table, VolunteerRow.__table__)
