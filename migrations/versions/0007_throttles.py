"""Throttles kept in the database: the counts of failed sign-ins (per client address, per
passbook number, per known device) and of invalid voucher codes per scanner credential, shared
by every worker process and kept across restarts; and the devices a volunteer signed in from
(only a hash of each device value).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:39:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_throttle_failures_non_negative")),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_throttle")),
    )
    op.create_table(
        "sign_in_device",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("value_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_sign_in_device_volunteer_id_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_device")),
        sa.UniqueConstraint("value_hash", name=op.f("uq_sign_in_device_value_hash")),
    )
    with op.batch_alter_table("sign_in_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_device_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_device_volunteer_id"))

    op.drop_table("sign_in_device")
    op.drop_table("throttle")
