"""The rewards exchange: merchants, the reward catalog with stock, monthly quotas and
per-volunteer counters, redemptions and vouchers (each paid for by one ledger hold).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:37:13.850209
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merchant",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_merchant_account_id_ledger_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant")),
        sa.UniqueConstraint("account_id", name=op.f("uq_merchant_account_id")),
        sa.UniqueConstraint("code", name=op.f("uq_merchant_code")),
    )
    op.create_table(
        "reward",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cost_points", sa.BigInteger(), nullable=False),
        sa.Column(
            "merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("allocation", sa.String(length=16), nullable=False),
        sa.Column("stock_total", sa.BigInteger(), nullable=True),
        sa.Column("stock_used", sa.BigInteger(), nullable=False),
        sa.Column("monthly_quota", sa.Integer(), nullable=True),
        sa.Column("per_volunteer_limit", sa.Integer(), nullable=True),
        sa.Column("limit_period", sa.String(length=8), nullable=False),
        sa.Column("min_lifetime_points", sa.BigInteger(), nullable=False),
        sa.Column("min_months_registered", sa.Integer(), nullable=False),
        sa.Column(
            "org_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("voucher_valid_days", sa.Integer(), nullable=False),
        sa.Column("sale_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sale_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint(
            "allocation IN ('instant', 'ballot')", name=op.f("ck_reward_allocation_known")
        ),
        sa.CheckConstraint(
            "kind IN ('goods', 'service', 'place')", name=op.f("ck_reward_kind_known")
        ),
        sa.CheckConstraint(
            "limit_period IN ('month', 'year', 'ever')", name=op.f("ck_reward_limit_period_known")
        ),
        sa.CheckConstraint("cost_points > 0", name=op.f("ck_reward_cost_positive")),
        sa.CheckConstraint(
            "min_lifetime_points >= 0", name=op.f("ck_reward_min_points_non_negative")
        ),
        sa.CheckConstraint(
            "min_months_registered >= 0", name=op.f("ck_reward_min_months_non_negative")
        ),
        sa.CheckConstraint(
            "monthly_quota IS NULL OR monthly_quota > 0", name=op.f("ck_reward_quota_positive")
        ),
        sa.CheckConstraint(
            "per_volunteer_limit IS NULL OR per_volunteer_limit > 0",
            name=op.f("ck_reward_limit_positive"),
        ),
        sa.CheckConstraint(
            "sale_starts_at IS NULL OR sale_ends_at IS NULL OR sale_starts_at < sale_ends_at",
            name=op.f("ck_reward_sale_window_in_order"),
        ),
        sa.CheckConstraint(
            "stock_total IS NULL OR stock_used <= stock_total",
            name=op.f("ck_reward_stock_within_total"),
        ),
        sa.CheckConstraint("stock_used >= 0", name=op.f("ck_reward_stock_used_non_negative")),
        sa.CheckConstraint(
            "voucher_valid_days >= 1 AND voucher_valid_days <= 366",
            name=op.f("ck_reward_validity_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_reward_merchant_id_merchant")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_reward_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward")),
        sa.UniqueConstraint("code", name=op.f("uq_reward_code")),
    )
    with op.batch_alter_table("reward", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reward_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "redemption",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_redemption_quantity_positive")),
        sa.CheckConstraint("unit_cost > 0", name=op.f("ck_redemption_unit_cost_positive")),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_redemption_reward_id_reward")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer.id"], name=op.f("fk_redemption_volunteer_id_volunteer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_redemption_idempotency_key")),
    )
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_redemption_reward_id"), ["reward_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_redemption_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "redemption_counter",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_redemption_counter_used_non_negative")),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_redemption_counter_reward_id_reward")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_redemption_counter_volunteer_id_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_counter")),
        sa.UniqueConstraint(
            "reward_id",
            "volunteer_id",
            "period",
            name=op.f("uq_redemption_counter_reward_id_volunteer_id_period"),
        ),
    )
    with op.batch_alter_table("redemption_counter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redemption_counter_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "reward_quota",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_reward_quota_used_non_negative")),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_reward_quota_reward_id_reward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_quota")),
        sa.UniqueConstraint("reward_id", "period", name=op.f("uq_reward_quota_reward_id_period")),
    )
    op.create_table(
        "voucher",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column(
            "reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "redemption_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("takes_stock", sa.Boolean(), nullable=False),
        sa.Column("quota_period", sa.String(length=7), nullable=True),
        sa.Column("limit_period", sa.String(length=7), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column(
            "settle_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "(status = 'issued') = (closed_at IS NULL)",
            name=op.f("ck_voucher_closed_iff_not_issued"),
        ),
        sa.CheckConstraint(
            "(status = 'used') = (settle_entry_id IS NOT NULL)",
            name=op.f("ck_voucher_used_has_settlement"),
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'used', 'cancelled', 'expired')",
            name=op.f("ck_voucher_status_known"),
        ),
        sa.CheckConstraint("expires_at > issued_at", name=op.f("ck_voucher_expires_after_issue")),
        sa.CheckConstraint("points > 0", name=op.f("ck_voucher_points_positive")),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["ledger_hold.id"], name=op.f("fk_voucher_hold_id_ledger_hold")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_voucher_merchant_id_merchant")
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"], ["redemption.id"], name=op.f("fk_voucher_redemption_id_redemption")
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_voucher_reward_id_reward")
        ),
        sa.ForeignKeyConstraint(
            ["settle_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_voucher_settle_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer.id"], name=op.f("fk_voucher_volunteer_id_volunteer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher")),
        sa.UniqueConstraint("code", name=op.f("uq_voucher_code")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_voucher_hold_id")),
    )
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.create_index(
            "ix_voucher_merchant_closed", ["merchant_id", "status", "closed_at"], unique=False
        )
        batch_op.create_index("ix_voucher_open_expiry", ["status", "expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_voucher_redemption_id"), ["redemption_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voucher_volunteer_id"), ["volunteer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_voucher_redemption_id"))
        batch_op.drop_index("ix_voucher_open_expiry")
        batch_op.drop_index("ix_voucher_merchant_closed")

    op.drop_table("voucher")
    op.drop_table("reward_quota")
    with op.batch_alter_table("redemption_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redemption_counter_volunteer_id"))

    op.drop_table("redemption_counter")
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redemption_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_redemption_reward_id"))

    op.drop_table("redemption")
    with op.batch_alter_table("reward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reward_merchant_id"))

    op.drop_table("reward")
    op.drop_table("merchant")
