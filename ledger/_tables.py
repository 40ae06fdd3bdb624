"""The ledger's tables. The database itself refuses what must never happen:

* a non-negative account's available balance below zero, or negative held points;
* a zero posting, two postings of one entry on one account, a gap or repeat in an account's
  posting sequence;
* reversing one entry twice (``reverses_entry_id`` is unique);
* two entries or holds with one idempotency key, or two holds closed with one key;
* any UPDATE or DELETE of an entry or posting, and any change to a hold other than closing an
  open one (triggers, created by the migrations on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from db import Base, Id, UtcDateTime

HASH_LENGTH = 64
KEY_LENGTH = 200
GENESIS_HASH = "0" * HASH_LENGTH


class AccountRow(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (
        UniqueConstraint("kind", "owner_ref"),
        CheckConstraint("held >= 0", name="held_non_negative"),
        CheckConstraint("allow_negative OR posted - held >= 0", name="available_non_negative"),
        CheckConstraint("lifetime_earned >= 0", name="lifetime_earned_non_negative"),
        CheckConstraint("posting_count >= 0", name="posting_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_ref: Mapped[str] = mapped_column(String(128))
    allow_negative: Mapped[bool] = mapped_column(Boolean)
    posted: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    posting_count: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), default=GENESIS_HASH)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EntryRow(Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("reverses_entry_id"),
        CheckConstraint("posting_count >= 2", name="at_least_two_postings"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    effective_date: Mapped[date] = mapped_column(Date)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    idempotency_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    request_digest: Mapped[str] = mapped_column(String(HASH_LENGTH))
    posting_count: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class PostingRow(Base):
    __tablename__ = "ledger_posting"
    __table_args__ = (
        UniqueConstraint("account_id", "account_seq"),
        UniqueConstraint("entry_id", "account_id"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("account_seq >= 1", name="account_seq_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    account_seq: Mapped[int] = mapped_column(BigInteger)
    chain_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class HoldRow(Base):
    __tablename__ = "ledger_hold"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("close_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('held', 'settled', 'released', 'expired')", name="status_known"
        ),
        CheckConstraint("(status = 'held') = (closed_at IS NULL)", name="closed_iff_not_held"),
        CheckConstraint(
            "(status = 'settled') = (settle_entry_id IS NOT NULL)", name="settled_has_entry"
        ),
        CheckConstraint(
            "settled_amount IS NULL OR (settled_amount > 0 AND settled_amount <= amount)",
            name="settled_within_amount",
        ),
        Index("ix_ledger_hold_open_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    request_digest: Mapped[str] = mapped_column(String(HASH_LENGTH))
    settled_amount: Mapped[int | None] = mapped_column(BigInteger)
    settle_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH))


account = cast(Table, AccountRow.__table__)
entry = cast(Table, EntryRow.__table__)
posting = cast(Table, PostingRow.__table__)
hold = cast(Table, HoldRow.__table__)
