"""Registry people and council scoring: volunteers' phone, status and PIN sign-in, grid moves,
council members (and the token that speaks for one), savings rules, love incentives, grid
budgets, scoring sheets and their lines, incentive awards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 01:26:44.946782
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "council_member",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_council_member_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_council_member_volunteer_id_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_member")),
        sa.UniqueConstraint("code", name=op.f("uq_council_member_code")),
        sa.UniqueConstraint("volunteer_id", name=op.f("uq_council_member_volunteer_id")),
    )
    with op.batch_alter_table("council_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_member_grid_id"), ["grid_id"], unique=False)

    # Tables that gain columns are rebuilt on SQLite; do it before new tables refer to them.
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "council_member_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_api_token_council_member_id_council_member"),
            "council_member",
            ["council_member_id"],
            ["id"],
        )

    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status", sa.String(length=16), server_default=sa.text("'active'"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "leaderboard_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("pin_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("pin_failures", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("pin_last_failure_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pin_locked_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f("ck_volunteer_status_known"), "status IN ('active', 'moved_away')"
        )
        batch_op.create_check_constraint(
            op.f("ck_volunteer_pin_failures_non_negative"), "pin_failures >= 0"
        )

    op.create_table(
        "grid_budget",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("cap_points", sa.BigInteger(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("cap_points >= 0", name=op.f("ck_grid_budget_cap_non_negative")),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_grid_budget_grid_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_budget")),
        sa.UniqueConstraint("grid_id", "month", name=op.f("uq_grid_budget_grid_id_month")),
    )
    op.create_table(
        "incentive",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("bonus_points", sa.Integer(), nullable=False),
        sa.Column(
            "org_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("kind IN ('milestone', 'streak')", name=op.f("ck_incentive_kind_known")),
        sa.CheckConstraint("bonus_points > 0", name=op.f("ck_incentive_bonus_positive")),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_incentive_threshold_positive")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_incentive_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive")),
        sa.UniqueConstraint("code", name=op.f("uq_incentive_code")),
    )
    op.create_table(
        "savings_rule",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("points_per_unit", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("daily_cap_units", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "org_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint(
            "unit IN ('hour', 'visit', 'time')", name=op.f("ck_savings_rule_unit_known")
        ),
        sa.CheckConstraint("daily_cap_units > 0", name=op.f("ck_savings_rule_daily_cap_positive")),
        sa.CheckConstraint("points_per_unit > 0", name=op.f("ck_savings_rule_earns_points")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_savings_rule_dates_in_order"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_savings_rule_version_positive")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_savings_rule_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_rule")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_savings_rule_code_version")),
    )
    op.create_table(
        "scoring_sheet",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_wide", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points_per_unit", sa.Integer(), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("author_actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "approver_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_actor", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "reversal_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reversal_reason", sa.String(length=500), nullable=True),
        sa.Column("draft_key", sa.String(length=200), nullable=True),
        sa.Column("draft_digest", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(status = 'approved') = (entry_id IS NOT NULL)",
            name=op.f("ck_scoring_sheet_approved_posts"),
        ),
        sa.CheckConstraint(
            "(status = 'rejected') = (reject_reason IS NOT NULL)",
            name=op.f("ck_scoring_sheet_rejection_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'rejected')",
            name=op.f("ck_scoring_sheet_status_known"),
        ),
        sa.CheckConstraint(
            "approver_id IS NULL OR approver_id <> author_id",
            name=op.f("ck_scoring_sheet_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"],
            ["council_member.id"],
            name=op.f("fk_scoring_sheet_approver_id_council_member"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["council_member.id"],
            name=op.f("fk_scoring_sheet_author_id_council_member"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"], name=op.f("fk_scoring_sheet_entry_id_ledger_entry")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_scoring_sheet_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["reversal_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_scoring_sheet_reversal_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["savings_rule.id"], name=op.f("fk_scoring_sheet_rule_id_savings_rule")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_sheet")),
        sa.UniqueConstraint("draft_key", name=op.f("uq_scoring_sheet_draft_key")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_scoring_sheet_entry_id")),
        sa.UniqueConstraint("reversal_entry_id", name=op.f("uq_scoring_sheet_reversal_entry_id")),
    )
    with op.batch_alter_table("scoring_sheet", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scoring_sheet_grid_date", ["grid_id", "activity_date"], unique=False
        )

    op.create_table(
        "volunteer_move",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "to_grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.CheckConstraint(
            "from_grid_id <> to_grid_id", name=op.f("ck_volunteer_move_moves_somewhere")
        ),
        sa.ForeignKeyConstraint(
            ["from_grid_id"], ["org_unit.id"], name=op.f("fk_volunteer_move_from_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["to_grid_id"], ["org_unit.id"], name=op.f("fk_volunteer_move_to_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_move_volunteer_id_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_move")),
    )
    with op.batch_alter_table("volunteer_move", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_move_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "incentive_award",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "incentive_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("points > 0", name=op.f("ck_incentive_award_points_positive")),
        sa.ForeignKeyConstraint(
            ["incentive_id"],
            ["incentive.id"],
            name=op.f("fk_incentive_award_incentive_id_incentive"),
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["scoring_sheet.id"],
            name=op.f("fk_incentive_award_sheet_id_scoring_sheet"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_incentive_award_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_incentive_award_volunteer_id_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_award")),
    )
    with op.batch_alter_table("incentive_award", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incentive_award_sheet_id"), ["sheet_id"], unique=False)
        batch_op.create_index(
            "uq_incentive_award_live",
            ["incentive_id", "volunteer_id", "period"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "sheet_line",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sheet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column(
            "correction_entry_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("correction_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("points > 0", name=op.f("ck_sheet_line_points_positive")),
        sa.CheckConstraint("units > 0", name=op.f("ck_sheet_line_units_positive")),
        sa.ForeignKeyConstraint(
            ["correction_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_sheet_line_correction_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["scoring_sheet.id"], name=op.f("fk_sheet_line_sheet_id_scoring_sheet")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer.id"], name=op.f("fk_sheet_line_volunteer_id_volunteer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_line")),
        sa.UniqueConstraint("correction_entry_id", name=op.f("uq_sheet_line_correction_entry_id")),
        sa.UniqueConstraint("sheet_id", "line_no", name=op.f("uq_sheet_line_sheet_id_line_no")),
        sa.UniqueConstraint(
            "sheet_id", "volunteer_id", name=op.f("uq_sheet_line_sheet_id_volunteer_id")
        ),
    )
    with op.batch_alter_table("sheet_line", schema=None) as batch_op:
        batch_op.create_index("ix_sheet_line_volunteer", ["volunteer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_volunteer_pin_failures_non_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_volunteer_status_known"), type_="check")
        batch_op.drop_column("pin_locked_until")
        batch_op.drop_column("pin_last_failure_at")
        batch_op.drop_column("pin_failures")
        batch_op.drop_column("pin_hash")
        batch_op.drop_column("leaderboard_opt_out")
        batch_op.drop_column("status")
        batch_op.drop_column("phone")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_token_council_member_id_council_member"), type_="foreignkey"
        )
        batch_op.drop_column("council_member_id")

    with op.batch_alter_table("sheet_line", schema=None) as batch_op:
        batch_op.drop_index("ix_sheet_line_volunteer")

    op.drop_table("sheet_line")
    with op.batch_alter_table("incentive_award", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_incentive_award_live",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_incentive_award_sheet_id"))

    op.drop_table("incentive_award")
    with op.batch_alter_table("volunteer_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_move_volunteer_id"))

    op.drop_table("volunteer_move")
    with op.batch_alter_table("scoring_sheet", schema=None) as batch_op:
        batch_op.drop_index("ix_scoring_sheet_grid_date")

    op.drop_table("scoring_sheet")
    op.drop_table("savings_rule")
    op.drop_table("incentive")
    op.drop_table("grid_budget")
    with op.batch_alter_table("council_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_member_grid_id"))

    op.drop_table("council_member")
