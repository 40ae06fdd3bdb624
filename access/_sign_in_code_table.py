"""The sign-in codes table: one-time codes an admin issues for a staff or counter device,
stored only as the SHA-256 of the code, so a leaked table lets no one in.

The database itself keeps a code honest (named CHECK constraints, both databases):

* it expires after it is made, and lives at most :data:`MAX_LIFE_MINUTES` minutes;
* it is used at most once: ``used_at``, ``used_from`` and the credential it became
  (``api_token_id``, unique) are set together or not at all, never before it was made nor
  once it had expired, and a revoked code is never used (nor a used one revoked);
* its role is one a device signs in as (never a volunteer's: volunteers sign in with a PIN).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from db import Base, Id, UtcDateTime

MAX_LIFE_MINUTES = 60
"""No sign-in code lives longer than this (the database refuses one that would)."""

CODE_ROLES = ("admin", "council", "merchant", "auditor")
"""The roles a sign-in code signs a device in as."""

USED_TOGETHER = (
    "(used_at IS NULL AND used_from IS NULL AND api_token_id IS NULL) OR "
    "(used_at IS NOT NULL AND used_from IS NOT NULL AND api_token_id IS NOT NULL)"
)
LIFE_AT_MOST = {
    # SQLite keeps moments as text; julianday() reads them (1 ms of slack for its doubles).
    "sqlite": "(julianday(expires_at) - julianday(created_at)) * 86400.0 "
    f"<= {MAX_LIFE_MINUTES * 60}.001",
    "postgresql": f"expires_at - created_at <= INTERVAL '{MAX_LIFE_MINUTES} minutes'",
}


class SignInCodeRow(Base):
    __tablename__ = "sign_in_code"
    __table_args__ = (
        UniqueConstraint("code_hash"),
        UniqueConstraint("api_token_id"),
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in CODE_ROLES) + ")", name="role_known"
        ),
        CheckConstraint("expires_at > created_at", name="expires_after_made"),
        CheckConstraint(LIFE_AT_MOST["sqlite"], name="life_at_most").ddl_if(dialect="sqlite"),
        CheckConstraint(LIFE_AT_MOST["postgresql"], name="life_at_most").ddl_if(
            dialect="postgresql"
        ),
        CheckConstraint(USED_TOGETHER, name="used_together"),
        CheckConstraint(
            "used_at IS NULL OR (used_at >= created_at AND used_at < expires_at)",
            name="used_while_valid",
        ),
        CheckConstraint("used_at IS NULL OR revoked_at IS NULL", name="used_or_revoked"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_by IS NULL)", name="revoked_by_whom"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    # What the credential it becomes is made for, as the issuer named it: an org unit code
    # (admin, auditor), a council member's code (council) or a merchant code (merchant).
    scope: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(160))
    created_by: Mapped[str] = mapped_column(String(128))
    # The issuer's own credential (None: the operator at the command line); a code dies with it.
    issued_with_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_from: Mapped[str | None] = mapped_column(String(160))
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))


sign_in_code = cast(Table, SignInCodeRow.__table__)
