"""The credentials table: bearer tokens stored only as SHA-256 hashes, so a leaked table
reveals no usable token."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from db import Base, Id, UtcDateTime


class ApiTokenRow(Base):
    __tablename__ = "api_token"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        CheckConstraint(
            "role IN ('admin', 'council', 'volunteer', 'merchant', 'auditor')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    # Who made it (the actor), and when it last let someone in (updated at most every few
    # minutes, so reads do not write on every request).
    created_by: Mapped[str | None] = mapped_column(String(128))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The council member a council token speaks for (four eyes compare people, not tokens).
    council_member_id: Mapped[int | None] = mapped_column(ForeignKey("council_member.id"))


api_token = cast(Table, ApiTokenRow.__table__)
