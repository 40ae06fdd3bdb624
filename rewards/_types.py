"""Value types of the rewards exchange. Points are whole numbers, always."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

import ledger
from i18n import Message


class RewardKind(enum.StrEnum):
    GOODS = "goods"
    SERVICE = "service"
    PLACE = "place"


class Allocation(enum.StrEnum):
    """How a reward's stock is handed out: first come first served, or by a ballot."""

    INSTANT = "instant"
    BALLOT = "ballot"


class LimitPeriod(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"
    EVER = "ever"


class VoucherStatus(enum.StrEnum):
    ISSUED = "issued"
    USED = "used"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Merchant:
    """A merchant, and the org unit it serves: that unit's admins (and those above) add it,
    issue its credentials and read its settlement; its rewards lie within that unit."""

    id: int
    code: str
    name: str
    account_id: ledger.AccountId
    org_unit_code: str
    org_unit_name: str
    org_unit_path: str


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """What community staff write down to put a reward in the catalog."""

    code: str
    name: str
    kind: RewardKind
    cost_points: int
    merchant_code: str
    org_unit_code: str
    """Only volunteers of this org unit (and the units below it) may redeem."""
    allocation: Allocation = Allocation.INSTANT
    description: str = ""
    stock_total: int | None = None
    monthly_quota: int | None = None
    per_volunteer_limit: int | None = None
    limit_period: LimitPeriod = LimitPeriod.MONTH
    min_lifetime_points: int = 0
    min_months_registered: int = 0
    voucher_valid_days: int = 30
    sale_starts_at: datetime | None = None
    sale_ends_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RewardChanges:
    """A change to a reward already in the catalog; ``None`` leaves a field as it is (use
    ``clear_*`` to remove a stock total, quota, limit or sale end)."""

    stock_total: int | None = None
    clear_stock_total: bool = False
    monthly_quota: int | None = None
    clear_monthly_quota: bool = False
    per_volunteer_limit: int | None = None
    clear_per_volunteer_limit: bool = False
    sale_ends_at: datetime | None = None
    clear_sale_ends_at: bool = False
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class Reward:
    id: int
    code: str
    name: str
    description: str
    kind: RewardKind
    cost_points: int
    merchant: Merchant
    allocation: Allocation
    stock_total: int | None
    stock_used: int
    monthly_quota: int | None
    per_volunteer_limit: int | None
    limit_period: LimitPeriod
    min_lifetime_points: int
    min_months_registered: int
    org_unit_code: str
    org_unit_name: str
    org_unit_path: str
    voucher_valid_days: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    active: bool

    @property
    def stock_left(self) -> int | None:
        return None if self.stock_total is None else self.stock_total - self.stock_used


@dataclass(frozen=True, slots=True)
class StockClaim:
    """What issuing vouchers took, so that a cancelled or expired one gives it back: a unit of
    stock, a unit of a month's quota, a unit of the volunteer's limit in a period."""

    takes_stock: bool
    quota_period: str | None
    limit_period: str | None


@dataclass(frozen=True, slots=True)
class Voucher:
    id: int
    code: str
    reward_id: int
    reward_code: str
    reward_name: str
    merchant_code: str
    merchant_name: str
    volunteer_id: int
    passbook_number: str
    holder_name: str
    redemption_id: int | None
    hold_id: ledger.HoldId
    points: int
    status: VoucherStatus
    """As stored; see :meth:`state` for what a scanner would see now."""
    issued_at: datetime
    expires_at: datetime
    valid_until: date
    """The last local day the voucher can be used."""
    closed_at: datetime | None
    closed_by: str | None
    settle_entry_id: ledger.EntryId | None
    consume_key: str | None
    """The Idempotency-Key of the scan that used it, namespaced by credential, if one was sent."""
    claim: StockClaim
    """What the voucher took, and gives back if cancelled or expired."""

    def state(self, now: datetime) -> VoucherStatus:
        """The status as of ``now``: a voucher past its date is expired even before the sweep
        has released its hold."""
        if self.status is VoucherStatus.ISSUED and self.expires_at <= now:
            return VoucherStatus.EXPIRED
        return self.status


@dataclass(frozen=True, slots=True)
class Redemption:
    id: int
    reward_code: str
    reward_name: str
    passbook_number: str
    quantity: int
    unit_cost: int
    actor: str
    created_at: datetime
    vouchers: tuple[Voucher, ...]
    replayed: bool = False

    @property
    def total_points(self) -> int:
        return self.quantity * self.unit_cost


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a volunteer cannot redeem a reward now: a stable code and a sentence (a catalogue
    message, shown in the reader's language)."""

    code: str
    message: str | Message


@dataclass(frozen=True, slots=True)
class Offer:
    """A reward as one volunteer sees it now (or as anyone sees the catalog, when no
    volunteer is given)."""

    reward: Reward
    reasons: tuple[Reason, ...] = ()
    quota_left: int | None = None
    limit_left: int | None = None
    available_points: int | None = None

    @property
    def can_redeem(self) -> bool:
        return not self.reasons


class Verdict(enum.StrEnum):
    """What a merchant's scanner is told about a voucher."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True, slots=True)
class Scan:
    verdict: Verdict
    voucher: Voucher
    message: str | Message


@dataclass(frozen=True, slots=True)
class Consumption:
    voucher: Voucher
    entry_id: ledger.EntryId
    replayed: bool
    message: str | Message


@dataclass(frozen=True, slots=True)
class SettlementLine:
    used_at: datetime
    voucher_code: str
    reward_code: str
    reward_name: str
    points: int
    scanned_by: str
    entry_id: ledger.EntryId


@dataclass(frozen=True, slots=True)
class RewardTotal:
    reward_code: str
    reward_name: str
    vouchers: int
    points: int


@dataclass(frozen=True, slots=True)
class Settlement:
    merchant: Merchant
    first_day: date
    last_day: date
    lines: tuple[SettlementLine, ...]
    by_reward: tuple[RewardTotal, ...] = field(default=())

    @property
    def vouchers(self) -> int:
        return len(self.lines)

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)
