"""A voucher remembers the Idempotency-Key of the scan that used it, so that a scanner's retry
with that key gets the stored success at any time, not only within the replay window.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voucher") as batch:
        batch.add_column(sa.Column("consume_key", sa.String(length=200), nullable=True))
        batch.create_unique_constraint(op.f("uq_voucher_consume_key"), ["consume_key"])
        batch.create_check_constraint(
            op.f("ck_voucher_consume_key_when_used"), "consume_key IS NULL OR status = 'used'"
        )


def downgrade() -> None:
    with op.batch_alter_table("voucher") as batch:
        batch.drop_constraint(op.f("ck_voucher_consume_key_when_used"), type_="check")
        batch.drop_constraint(op.f("uq_voucher_consume_key"), type_="unique")
        batch.drop_column("consume_key")
