"""Merchants get an org unit, as rewards have: the unit whose admins add the merchant, issue
its credentials and read its settlement.

Every merchant already there is given the street the books were opened for (``books``), or
where no books row exists the root of the org tree (the unit without a parent, the first
made), then the column is made NOT NULL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "org_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
    op.execute(
        "UPDATE merchant SET org_unit_id = COALESCE("
        "(SELECT street_id FROM books WHERE id = 1), "
        "(SELECT min(id) FROM org_unit WHERE parent_id IS NULL))"
    )
    with op.batch_alter_table("merchant", schema=None) as batch_op:
        batch_op.alter_column(
            "org_unit_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_merchant_org_unit_id_org_unit"), "org_unit", ["org_unit_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("merchant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_merchant_org_unit_id_org_unit"), type_="foreignkey")
        batch_op.drop_column("org_unit_id")
