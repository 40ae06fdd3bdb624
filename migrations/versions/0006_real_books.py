"""Real books: the books row (real or demo), closed org units, the day a volunteer joined
the scheme, managed credentials (who made them, when last used, who revoked them), points
granted with four eyes (opening balances from paper passbooks, adjustments), revised sheets
and four-eyed take-backs of approved sheets.

A volunteer's ``joined_on`` is filled from the scheme's day (China Standard Time) of
``registered_at`` for every volunteer already registered.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:24:36
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "books",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column(
            "street_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("kind IN ('real', 'demo')", name=op.f("ck_books_kind_known")),
        sa.CheckConstraint("id = 1", name=op.f("ck_books_one_row")),
        sa.ForeignKeyConstraint(
            ["street_id"], ["org_unit.id"], name=op.f("fk_books_street_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_books")),
    )
    op.create_table(
        "points_grant",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "volunteer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposer", sa.String(length=128), nullable=False),
        sa.Column("proposed_actor", sa.String(length=128), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decider", sa.String(length=128), nullable=True),
        sa.Column("decided_actor", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("batch", sa.String(length=64), nullable=True),
        sa.Column("propose_key", sa.String(length=200), nullable=True),
        sa.Column("propose_digest", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(status = 'confirmed') = (entry_id IS NOT NULL)",
            name=op.f("ck_points_grant_confirmed_posts"),
        ),
        sa.CheckConstraint(
            "(status = 'proposed') = (decided_at IS NULL)",
            name=op.f("ck_points_grant_decided_has_time"),
        ),
        sa.CheckConstraint(
            "kind IN ('opening', 'adjustment')", name=op.f("ck_points_grant_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'confirmed', 'rejected')",
            name=op.f("ck_points_grant_status_known"),
        ),
        sa.CheckConstraint(
            "decider IS NULL OR decider <> proposer", name=op.f("ck_points_grant_four_eyes")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_points_grant_points_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"], name=op.f("fk_points_grant_entry_id_ledger_entry")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer.id"], name=op.f("fk_points_grant_volunteer_id_volunteer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_grant")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_points_grant_entry_id")),
        sa.UniqueConstraint("propose_key", name=op.f("uq_points_grant_propose_key")),
    )
    with op.batch_alter_table("points_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_points_grant_batch"), ["batch"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_points_grant_volunteer_id"), ["volunteer_id"], unique=False
        )
        batch_op.create_index(
            "uq_points_grant_one_opening",
            ["volunteer_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'opening' AND status <> 'rejected'"),
            postgresql_where=sa.text("kind = 'opening' AND status <> 'rejected'"),
        )

    op.create_table(
        "sheet_takeback",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sheet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposer", sa.String(length=128), nullable=False),
        sa.Column("proposed_actor", sa.String(length=128), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decider", sa.String(length=128), nullable=True),
        sa.Column("decided_actor", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint(
            "(status = 'proposed') = (decided_at IS NULL)",
            name=op.f("ck_sheet_takeback_decided_has_time"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'confirmed', 'declined')",
            name=op.f("ck_sheet_takeback_status_known"),
        ),
        sa.CheckConstraint(
            "decider IS NULL OR decider <> proposer", name=op.f("ck_sheet_takeback_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"], name=op.f("fk_sheet_takeback_entry_id_ledger_entry")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["sheet_line.id"], name=op.f("fk_sheet_takeback_line_id_sheet_line")
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["scoring_sheet.id"],
            name=op.f("fk_sheet_takeback_sheet_id_scoring_sheet"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_takeback")),
    )
    with op.batch_alter_table("sheet_takeback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sheet_takeback_sheet_id"), ["sheet_id"], unique=False)
        batch_op.create_index(
            "uq_sheet_takeback_open_line",
            ["line_id"],
            unique=True,
            sqlite_where=sa.text("status = 'proposed' AND line_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'proposed' AND line_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_sheet_takeback_open_sheet",
            ["sheet_id"],
            unique=True,
            sqlite_where=sa.text("status = 'proposed' AND line_id IS NULL"),
            postgresql_where=sa.text("status = 'proposed' AND line_id IS NULL"),
        )

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=128), nullable=True))

    with op.batch_alter_table("scoring_sheet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "revises_sheet_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_scoring_sheet_revises_sheet_id"), ["revises_sheet_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scoring_sheet_revises_sheet_id_scoring_sheet"),
            "scoring_sheet",
            ["revises_sheet_id"],
            ["id"],
        )

    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE volunteer SET joined_on = date(registered_at, '+8 hours')")
    else:
        op.execute(
            "UPDATE volunteer SET joined_on = (registered_at AT TIME ZONE 'Asia/Shanghai')::date"
        )
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.alter_column("joined_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_column("joined_on")

    with op.batch_alter_table("scoring_sheet", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_scoring_sheet_revises_sheet_id_scoring_sheet"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_scoring_sheet_revises_sheet_id"), type_="unique")
        batch_op.drop_column("revises_sheet_id")

    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("created_by")
        batch_op.drop_column("revoked_by")

    with op.batch_alter_table("sheet_takeback", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sheet_takeback_open_sheet",
            sqlite_where=sa.text("status = 'proposed' AND line_id IS NULL"),
            postgresql_where=sa.text("status = 'proposed' AND line_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_sheet_takeback_open_line",
            sqlite_where=sa.text("status = 'proposed' AND line_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'proposed' AND line_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_sheet_takeback_sheet_id"))

    op.drop_table("sheet_takeback")
    with op.batch_alter_table("points_grant", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_points_grant_one_opening",
            sqlite_where=sa.text("kind = 'opening' AND status <> 'rejected'"),
            postgresql_where=sa.text("kind = 'opening' AND status <> 'rejected'"),
        )
        batch_op.drop_index(batch_op.f("ix_points_grant_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_points_grant_batch"))

    op.drop_table("points_grant")
    op.drop_table("books")
