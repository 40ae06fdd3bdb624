"""The rewards exchange's tables. The database itself refuses what must never happen:

* more stock taken than there is (``CHECK stock_used <= stock_total``), or a negative count of
  stock, monthly quota or a volunteer's redemptions in a period;
* two vouchers with one code, two vouchers on one hold, two redemptions with one key, two
  counters for one reward and period (or one volunteer, reward and period);
* a voucher closed without a time, used without a settlement entry in the ledger, or in a
  status nobody knows; a reward of an unknown kind or allocation.
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
        CheckConstraint(
            "status IN ('issued', 'used', 'cancelled', 'expired')", name="status_known"
        ),
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


merchant = cast(Table, MerchantRow.__table__)
reward = cast(Table, RewardRow.__table__)
reward_quota = cast(Table, RewardQuotaRow.__table__)
redemption_counter = cast(Table, RedemptionCounterRow.__table__)
redemption = cast(Table, RedemptionRow.__table__)
voucher = cast(Table, VoucherRow.__table__)
