"""One-time sign-in codes for staff and counter devices: each stored only as its SHA-256,
used at most once (the moment, the client address and the credential it became set
together), expiring after it is made and living at most 60 minutes, checked by the database.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The same texts as access/_sign_in_code_table.py, written out: a migration never changes.
_LIFE_AT_MOST = {
    "sqlite": "(julianday(expires_at) - julianday(created_at)) * 86400.0 <= 3600.001",
    "postgresql": "expires_at - created_at <= INTERVAL '60 minutes'",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "sign_in_code",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=160), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("issued_with_token_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_from", sa.String(length=160), nullable=True),
        sa.Column("api_token_id", _ID, nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'council', 'merchant', 'auditor')",
            name=op.f("ck_sign_in_code_role_known"),
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_sign_in_code_expires_after_made")
        ),
        sa.CheckConstraint(_LIFE_AT_MOST[dialect], name=op.f("ck_sign_in_code_life_at_most")),
        sa.CheckConstraint(
            "(used_at IS NULL AND used_from IS NULL AND api_token_id IS NULL) OR "
            "(used_at IS NOT NULL AND used_from IS NOT NULL AND api_token_id IS NOT NULL)",
            name=op.f("ck_sign_in_code_used_together"),
        ),
        sa.CheckConstraint(
            "used_at IS NULL OR (used_at >= created_at AND used_at < expires_at)",
            name=op.f("ck_sign_in_code_used_while_valid"),
        ),
        sa.CheckConstraint(
            "used_at IS NULL OR revoked_at IS NULL", name=op.f("ck_sign_in_code_used_or_revoked")
        ),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by IS NULL)",
            name=op.f("ck_sign_in_code_revoked_by_whom"),
        ),
        sa.ForeignKeyConstraint(
            ["api_token_id"], ["api_token.id"], name=op.f("fk_sign_in_code_api_token_id_api_token")
        ),
        sa.ForeignKeyConstraint(
            ["issued_with_token_id"],
            ["api_token.id"],
            name=op.f("fk_sign_in_code_issued_with_token_id_api_token"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_code")),
        sa.UniqueConstraint("api_token_id", name=op.f("uq_sign_in_code_api_token_id")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_sign_in_code_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_code")
