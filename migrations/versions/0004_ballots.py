"""Ballots for scarce rewards: a ballot per reward and window, with its secret seed and public
commitment, and the applications to it (one per volunteer), their holds and drawn outcomes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:02:22.834489
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ballot",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draw_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawn_by", sa.String(length=128), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=128), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name=op.f("ck_ballot_cancelled_has_time"),
        ),
        sa.CheckConstraint(
            "(status = 'drawn') = (drawn_at IS NOT NULL)", name=op.f("ck_ballot_drawn_has_time")
        ),
        sa.CheckConstraint(
            "rule IN ('points_rank', 'weighted_lottery')", name=op.f("ck_ballot_rule_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'drawn', 'cancelled')", name=op.f("ck_ballot_status_known")
        ),
        sa.CheckConstraint(
            "claim_days >= 1 AND claim_days <= 90", name=op.f("ck_ballot_claim_days_in_range")
        ),
        sa.CheckConstraint("closes_at < draw_by", name=op.f("ck_ballot_draw_after_close")),
        sa.CheckConstraint(
            "length(seed) = 64 AND length(commitment) = 64", name=op.f("ck_ballot_seed_sized")
        ),
        sa.CheckConstraint("opens_at < closes_at", name=op.f("ck_ballot_window_in_order")),
        sa.CheckConstraint("places >= 1", name=op.f("ck_ballot_places_positive")),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_ballot_reward_id_reward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("code", name=op.f("uq_ballot_code")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_reward_id"), ["reward_id"], unique=False)
        batch_op.create_index(
            "uq_ballot_one_open_per_reward",
            ["reward_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "ballot_application",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "ballot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("pseudonym", sa.String(length=12), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "voucher_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("draw_rank", sa.Integer(), nullable=True),
        sa.Column("lottery_key", sa.String(length=64), nullable=True),
        sa.Column("score", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status IN ('applied', 'withdrawn', 'cancelled')) = (draw_rank IS NULL)",
            name=op.f("ck_ballot_application_ranked_iff_drawn"),
        ),
        sa.CheckConstraint(
            "(status IN ('offered', 'claimed', 'declined', 'lapsed')) = (voucher_id IS NOT NULL)",
            name=op.f("ck_ballot_application_offered_has_voucher"),
        ),
        sa.CheckConstraint(
            "status IN ('applied', 'withdrawn', 'cancelled', 'waiting', 'offered', 'claimed', 'declined', 'lapsed', 'skipped')",
            name=op.f("ck_ballot_application_status_known"),
        ),
        sa.CheckConstraint(
            "draw_rank IS NULL OR draw_rank >= 1", name=op.f("ck_ballot_application_rank_positive")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_ballot_application_points_non_negative")),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_application_ballot_id_ballot")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["ledger_hold.id"], name=op.f("fk_ballot_application_hold_id_ledger_hold")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_ballot_application_volunteer_id_volunteer"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("fk_ballot_application_voucher_id_voucher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_application")),
        sa.UniqueConstraint(
            "ballot_id", "draw_rank", name=op.f("uq_ballot_application_ballot_id_draw_rank")
        ),
        sa.UniqueConstraint(
            "ballot_id", "pseudonym", name=op.f("uq_ballot_application_ballot_id_pseudonym")
        ),
        sa.UniqueConstraint(
            "ballot_id", "volunteer_id", name=op.f("uq_ballot_application_ballot_id_volunteer_id")
        ),
        sa.UniqueConstraint("hold_id", name=op.f("uq_ballot_application_hold_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ballot_application_idempotency_key")),
        sa.UniqueConstraint("voucher_id", name=op.f("uq_ballot_application_voucher_id")),
    )
    with op.batch_alter_table("ballot_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_application_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ballot_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_application_volunteer_id"))

    op.drop_table("ballot_application")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index("uq_ballot_one_open_per_reward")
        batch_op.drop_index(batch_op.f("ix_ballot_reward_id"))

    op.drop_table("ballot")
