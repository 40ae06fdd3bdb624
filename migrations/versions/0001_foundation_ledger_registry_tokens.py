"""Foundation: the ledger (accounts, entries, postings, holds), the org registry, API tokens.

The triggers make posted history immutable on both databases: entries and postings refuse
UPDATE, DELETE (and TRUNCATE on PostgreSQL); a hold may change only from open to closed, once.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMMUTABLE_TABLES = ("ledger_entry", "ledger_posting")
_APPEND_ONLY = "{table} is append-only: correct a mistake with a reversing entry"
_HOLD_ONCE = "ledger_hold closes once: only an open hold may be settled, released or expired"
# Columns of a hold that never change; status, closed_at, close_key and the settlement may
# change, but only while the hold is open (OLD.status = 'held').
_HOLD_FIXED = (
    "account_id",
    "amount",
    "memo",
    "actor",
    "created_at",
    "expires_at",
    "idempotency_key",
    "request_digest",
)

SQLITE_TRIGGER_NAMES = [
    f"trg_{table}_no_{op_}" for table in IMMUTABLE_TABLES for op_ in ("update", "delete")
] + ["trg_ledger_hold_no_delete", "trg_ledger_hold_close_once"]

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER trg_{table}_no_{op_} BEFORE {op_.upper()} ON {table}
    BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY.format(table=table)}'); END"""
    for table in IMMUTABLE_TABLES
    for op_ in ("update", "delete")
] + [
    f"""CREATE TRIGGER trg_ledger_hold_no_delete BEFORE DELETE ON ledger_hold
    BEGIN SELECT RAISE(ABORT, '{_HOLD_ONCE}'); END""",
    f"""CREATE TRIGGER trg_ledger_hold_close_once BEFORE UPDATE ON ledger_hold
    WHEN OLD.status <> 'held' OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _HOLD_FIXED)}
    BEGIN SELECT RAISE(ABORT, '{_HOLD_ONCE}'); END""",
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_APPEND_ONLY.format(table="%")}', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END $$""",
    f"""CREATE FUNCTION ledger_hold_close_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' OR OLD.status <> 'held'
           OR {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _HOLD_FIXED)} THEN
            RAISE EXCEPTION '{_HOLD_ONCE}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$""",
    *(
        f"""CREATE TRIGGER trg_{table}_guard BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"""
        for table in IMMUTABLE_TABLES
    ),
    *(
        f"""CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"""
        for table, fn in (
            ("ledger_entry", "ledger_refuse_change"),
            ("ledger_posting", "ledger_refuse_change"),
            ("ledger_hold", "ledger_hold_close_once"),
        )
    ),
    """CREATE TRIGGER trg_ledger_hold_guard BEFORE UPDATE OR DELETE ON ledger_hold
    FOR EACH ROW EXECUTE FUNCTION ledger_hold_close_once()""",
]


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'council', 'volunteer', 'merchant', 'auditor')",
            name=op.f("ck_api_token_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "ledger_account",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("owner_ref", sa.String(length=128), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("posted", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_earned", sa.BigInteger(), nullable=False),
        sa.Column("posting_count", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "allow_negative OR posted - held >= 0",
            name=op.f("ck_ledger_account_available_non_negative"),
        ),
        sa.CheckConstraint("held >= 0", name=op.f("ck_ledger_account_held_non_negative")),
        sa.CheckConstraint(
            "lifetime_earned >= 0", name=op.f("ck_ledger_account_lifetime_earned_non_negative")
        ),
        sa.CheckConstraint(
            "posting_count >= 0", name=op.f("ck_ledger_account_posting_count_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint("kind", "owner_ref", name=op.f("uq_ledger_account_kind_owner_ref")),
    )
    op.create_table(
        "ledger_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column(
            "reverses_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("posting_count", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "posting_count >= 2", name=op.f("ck_ledger_entry_at_least_two_postings")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_ledger_entry_reverses_entry_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entry_idempotency_key")),
        sa.UniqueConstraint("reverses_entry_id", name=op.f("uq_ledger_entry_reverses_entry_id")),
    )
    op.create_table(
        "ledger_hold",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("settled_amount", sa.BigInteger(), nullable=True),
        sa.Column(
            "settle_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_key", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "(status = 'held') = (closed_at IS NULL)",
            name=op.f("ck_ledger_hold_closed_iff_not_held"),
        ),
        sa.CheckConstraint(
            "(status = 'settled') = (settle_entry_id IS NOT NULL)",
            name=op.f("ck_ledger_hold_settled_has_entry"),
        ),
        sa.CheckConstraint(
            "status IN ('held', 'settled', 'released', 'expired')",
            name=op.f("ck_ledger_hold_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_hold_amount_positive")),
        sa.CheckConstraint(
            "settled_amount IS NULL OR (settled_amount > 0 AND settled_amount <= amount)",
            name=op.f("ck_ledger_hold_settled_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_hold_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["settle_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_ledger_hold_settle_entry_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_hold")),
        sa.UniqueConstraint("close_key", name=op.f("uq_ledger_hold_close_key")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_hold_idempotency_key")),
    )
    with op.batch_alter_table("ledger_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_hold_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_ledger_hold_open_expiry", ["status", "expires_at"], unique=False)

    op.create_table(
        "ledger_posting",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("account_seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("account_seq >= 1", name=op.f("ck_ledger_posting_account_seq_positive")),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_posting_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_posting_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"], name=op.f("fk_ledger_posting_entry_id_ledger_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_posting")),
        sa.UniqueConstraint(
            "account_id", "account_seq", name=op.f("uq_ledger_posting_account_id_account_seq")
        ),
        sa.UniqueConstraint(
            "entry_id", "account_id", name=op.f("uq_ledger_posting_entry_id_account_id")
        ),
    )
    op.create_table(
        "org_unit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column(
            "issuance_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'street') = (parent_id IS NULL)",
            name=op.f("ck_org_unit_only_streets_are_roots"),
        ),
        sa.CheckConstraint(
            "kind IN ('street', 'community', 'grid')", name=op.f("ck_org_unit_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["issuance_account_id"],
            ["ledger_account.id"],
            name=op.f("fk_org_unit_issuance_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
        sa.UniqueConstraint("path", name=op.f("uq_org_unit_path")),
    )
    op.create_table(
        "volunteer",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("passbook_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_volunteer_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_volunteer_grid_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
        sa.UniqueConstraint("account_id", name=op.f("uq_volunteer_account_id")),
        sa.UniqueConstraint("passbook_number", name=op.f("uq_volunteer_passbook_number")),
    )
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_grid_id"), ["grid_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for table in (*IMMUTABLE_TABLES, "ledger_hold"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_guard ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")
        op.execute("DROP FUNCTION IF EXISTS ledger_hold_close_once()")
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_grid_id"))

    op.drop_table("volunteer")
    op.drop_table("org_unit")
    op.drop_table("ledger_posting")
    with op.batch_alter_table("ledger_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_hold_open_expiry")
        batch_op.drop_index(batch_op.f("ix_ledger_hold_account_id"))

    op.drop_table("ledger_hold")
    op.drop_table("ledger_entry")
    op.drop_table("ledger_account")
    op.drop_table("api_token")
