"""The rewards exchange's tables. The database itself refuses what must never happen:

* more stock taken than there is (``CHECK stock_used <= stock_total``), or a negative count of
  stock, monthly quota or a volunteer's redemptions in a period;
* two vouchers with one code, two vouchers on one hold, two redemptions with one key, two
  counters for one reward and period (or one volunteer, reward and period);
* a voucher closed without a time, used without a settlement entry in the ledger, or in a
  status nobody knows; a reward of an unknown kind or allocation;
* two applications of one volunteer to one ballot, two open ballots of one reward, a ballot
  drawn without a time, an offered place without its voucher.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from db import Base, Id, UtcDateTime


class MerchantRow(Base):
    """A shop, service provider or kindergarten that honours vouchers; its ledger account
    receives the points of every voucher it consumes."""

    __tablename__ = "merchant"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("account_id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    # The org unit it serves (the street, a community or a grid): its admins manage it.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class RewardRow(Base):
    __tablename__ = "reward"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("kind IN ('goods', 'service', 'place')", name="kind_known"),
        CheckConstraint("allocation IN ('instant', 'ballot')", name="allocation_known"),
        CheckConstraint("cost_points > 0", name="cost_positive"),
        CheckConstraint("stock_used >= 0", name="stock_used_non_negative"),
        CheckConstraint(
            "stock_total IS NULL OR stock_used <= stock_total", name="stock_within_total"
        ),
        CheckConstraint("monthly_quota IS NULL OR monthly_quota > 0", name="quota_positive"),
        CheckConstraint(
            "per_volunteer_limit IS NULL OR per_volunteer_limit > 0", name="limit_positive"
        ),
        CheckConstraint("limit_period IN ('month', 'year', 'ever')", name="limit_period_known"),
        CheckConstraint("min_lifetime_points >= 0", name="min_points_non_negative"),
        CheckConstraint("min_months_registered >= 0", name="min_months_non_negative"),
        CheckConstraint(
            "voucher_valid_days >= 1 AND voucher_valid_days <= 366", name="validity_in_range"
        ),
        CheckConstraint(
            "sale_starts_at IS NULL OR sale_ends_at IS NULL OR sale_starts_at < sale_ends_at",
            name="sale_window_in_order",
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    cost_points: Mapped[int] = mapped_column(BigInteger)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), index=True)
    allocation: Mapped[str] = mapped_column(String(16))
    # Stock: a total (NULL: unlimited) and what vouchers have taken of it; cancelled and
    # expired vouchers give theirs back.
    stock_total: Mapped[int | None] = mapped_column(BigInteger)
    stock_used: Mapped[int] = mapped_column(BigInteger)
    monthly_quota: Mapped[int | None] = mapped_column(Integer)
    per_volunteer_limit: Mapped[int | None] = mapped_column(Integer)
    limit_period: Mapped[str] = mapped_column(String(8))
    # Eligibility: lifetime points earned, months since registration, and the org unit whose
    # volunteers may redeem (its whole subtree).
    min_lifetime_points: Mapped[int] = mapped_column(BigInteger)
    min_months_registered: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    voucher_valid_days: Mapped[int] = mapped_column(Integer)
    sale_starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sale_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class RewardQuotaRow(Base):
    """How much of a reward's monthly quota vouchers have taken in one (local) month."""

    __tablename__ = "reward_quota"
    __table_args__ = (
        UniqueConstraint("reward_id", "period"),
        CheckConstraint("used >= 0", name="used_non_negative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"))
    period: Mapped[str] = mapped_column(String(7))
    used: Mapped[int] = mapped_column(BigInteger)


class RedemptionCounterRow(Base):
    """How many vouchers of a reward one volunteer holds against their limit in one period
    ('2026-11', '2026' or 'ever'). Taken by a conditional update, so concurrent redemptions by
    one volunteer can never pass the limit together."""

    __tablename__ = "redemption_counter"
    __table_args__ = (
        UniqueConstraint("reward_id", "volunteer_id", "period"),
        CheckConstraint("used >= 0", name="used_non_negative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    used: Mapped[int] = mapped_column(BigInteger)


class RedemptionRow(Base):
    """One request to exchange points for ``quantity`` vouchers of a reward (idempotent on the
    client's key)."""

    __tablename__ = "redemption"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_cost > 0", name="unit_cost_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VoucherRow(Base):
    """One unit of a reward, paid for by one hold in the ledger: issued, then used (the hold
    settled into the merchant's account), cancelled or expired (the hold released), once."""

    __tablename__ = "voucher"
    __table_args__ = (
        UniqueConstraint("code"),
        UniqueConstraint("hold_id"),
        UniqueConstraint("consume_key"),
        CheckConstraint(
            "status IN ('issued', 'used', 'cancelled', 'expired')", name="status_known"
        ),
        CheckConstraint("consume_key IS NULL OR status = 'used'", name="consume_key_when_used"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("expires_at > issued_at", name="expires_after_issue"),
        CheckConstraint("(status = 'issued') = (closed_at IS NULL)", name="closed_iff_not_issued"),
        CheckConstraint(
            "(status = 'used') = (settle_entry_id IS NOT NULL)", name="used_has_settlement"
        ),
        Index("ix_voucher_open_expiry", "status", "expires_at"),
        Index("ix_voucher_merchant_closed", "merchant_id", "status", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20))
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    # NULL for a voucher a ballot issued to a winner; a ballot keeps its own records.
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemption.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("ledger_hold.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the voucher took and gives back when cancelled or expired.
    takes_stock: Mapped[bool] = mapped_column(Boolean)
    quota_period: Mapped[str | None] = mapped_column(String(7))
    limit_period: Mapped[str | None] = mapped_column(String(7))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    settle_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    # The scanner's Idempotency-Key of the consume that used it (namespaced by credential), if
    # it sent one: a retry with that key is answered with the stored success at any time later.
    consume_key: Mapped[str | None] = mapped_column(String(200))


class BallotRow(Base):
    """A ballot for the places of one scarce reward: an application window, a number of
    places, a rule fixed when it opens and a secret seed whose SHA-256 (the commitment) is
    public from the start. Drawn at most once: the draw is a conditional update
    ``WHERE status = 'open'``; at most one ballot of a reward is open at a time."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("rule IN ('points_rank', 'weighted_lottery')", name="rule_known"),
        CheckConstraint("status IN ('open', 'drawn', 'cancelled')", name="status_known"),
        CheckConstraint("places >= 1", name="places_positive"),
        CheckConstraint("claim_days >= 1 AND claim_days <= 90", name="claim_days_in_range"),
        CheckConstraint("opens_at < closes_at", name="window_in_order"),
        CheckConstraint("closes_at < draw_by", name="draw_after_close"),
        CheckConstraint("length(seed) = 64 AND length(commitment) = 64", name="seed_sized"),
        CheckConstraint("(status = 'drawn') = (drawn_at IS NOT NULL)", name="drawn_has_time"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_has_time"
        ),
        Index(
            "uq_ballot_one_open_per_reward",
            "reward_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"), index=True)
    rule: Mapped[str] = mapped_column(String(20))
    places: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Applications' holds last until here; a ballot not drawn by then is cancelled.
    draw_by: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_days: Mapped[int] = mapped_column(Integer)
    # Secret until the draw (never shown before it); the commitment is public at once.
    seed: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    drawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    drawn_by: Mapped[str | None] = mapped_column(String(128))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(128))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))


class BallotApplicationRow(Base):
    """One volunteer's application to one ballot (UNIQUE), with the points it is judged by,
    frozen when it was made, its hold while it waits for the draw, and after the draw its
    place in the drawn order and its outcome (a place offered by a voucher, then claimed,
    declined or lapsed; waiting; skipped when its turn came and it could not take the place).
    """

    __tablename__ = "ballot_application"
    __table_args__ = (
        UniqueConstraint("ballot_id", "volunteer_id"),
        UniqueConstraint("ballot_id", "pseudonym"),
        UniqueConstraint("ballot_id", "draw_rank"),
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("hold_id"),
        UniqueConstraint("voucher_id"),
        CheckConstraint(
            "status IN ('applied', 'withdrawn', 'cancelled', 'waiting', 'offered', 'claimed', "
            "'declined', 'lapsed', 'skipped')",
            name="status_known",
        ),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("draw_rank IS NULL OR draw_rank >= 1", name="rank_positive"),
        CheckConstraint(
            "(status IN ('applied', 'withdrawn', 'cancelled')) = (draw_rank IS NULL)",
            name="ranked_iff_drawn",
        ),
        CheckConstraint(
            "(status IN ('offered', 'claimed', 'declined', 'lapsed')) = (voucher_id IS NOT NULL)",
            name="offered_has_voucher",
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(12))
    # Lifetime points earned when the application was made: what points_rank sorts by and
    # weighted_lottery weighs by.
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    # The hold of the cost while the application waits for the draw (released at the draw,
    # on withdrawal or cancellation; a winner's is exchanged for the hold of its voucher).
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_hold.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    draw_rank: Mapped[int | None] = mapped_column(Integer)
    lottery_key: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


merchant = cast(Table, MerchantRow.__table__)
reward = cast(Table, RewardRow.__table__)
reward_quota = cast(Table, RewardQuotaRow.__table__)
redemption_counter = cast(Table, RedemptionCounterRow.__table__)
redemption = cast(Table, RedemptionRow.__table__)
voucher = cast(Table, VoucherRow.__table__)
ballot = cast(Table, BallotRow.__table__)
ballot_application = cast(Table, BallotApplicationRow.__table__)
