"""The in-memory model the stateful test holds the service layer to: what each passbook's
posted, held and lifetime-earned points, each reward's stock and each volunteer's limit use,
each voucher's status and each merchant's takings must be after any sequence of scoring,
redemption, cancellation, clock moves, expiry sweeps, scans and sheet reversals.

It is written from the scheme's rules (DOMAIN.md and the service docstrings), not from the
service code: plain Python, no database, and every action either says which refusals apply
(and changes nothing) or applies its effect. Where several refusals hold at once the model
names them all; the service may raise any one of them.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

SCHEME_TZ = timezone(timedelta(hours=8))
"""The scheme keeps its days in China Standard Time (no daylight saving)."""


class Refusal(enum.Enum):
    """Why the model says a request must be refused; the test maps each to a domain error."""

    INSUFFICIENT_POINTS = "insufficient_points"
    SOLD_OUT = "sold_out"
    LIMIT_REACHED = "limit_reached"
    INVALID_LINE = "invalid_line"
    DAILY_CAP = "daily_cap"
    BELOW_ZERO = "below_zero"
    ALREADY_REVERSED = "already_reversed"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"


class Status(enum.StrEnum):
    """A voucher's status as stored (the sweep has not necessarily run yet)."""

    ISSUED = "issued"
    USED = "used"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


def local_day(moment: datetime) -> date:
    return moment.astimezone(SCHEME_TZ).date()


def voucher_expiry(issued_at: datetime, valid_days: int) -> datetime:
    """A voucher valid for N days can be used through the end of the Nth local day, the day
    of issue counting as the first."""
    last_day = local_day(issued_at) + timedelta(days=valid_days - 1)
    return datetime.combine(last_day + timedelta(days=1), time(0), SCHEME_TZ).astimezone(UTC)


@dataclass
class PassbookModel:
    posted: int = 0
    held: int = 0
    earned: int = 0

    @property
    def available(self) -> int:
        return self.posted - self.held


@dataclass
class RewardModel:
    cost: int
    stock_total: int | None
    limit: int | None
    valid_days: int
    merchant: int
    stock_used: int = 0
    limit_used: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def stock_left(self) -> int | None:
        return None if self.stock_total is None else self.stock_total - self.stock_used


@dataclass
class VoucherModel:
    reward: int
    volunteer: int
    points: int
    expires_at: datetime
    status: Status = Status.ISSUED
    used_at: datetime | None = None
    used_by: str | None = None
    used_key: str | None = None

    def state(self, now: datetime) -> Status:
        """What a reader sees now: past its date an issued voucher is expired, swept or not."""
        if self.status is Status.ISSUED and now >= self.expires_at:
            return Status.EXPIRED
        return self.status


@dataclass
class SheetModel:
    day: date
    units: dict[int, int]
    points: dict[int, int]
    reversed: bool = False


@dataclass(frozen=True)
class Sweep:
    vouchers: int
    points: int


@dataclass(frozen=True)
class Scan:
    replayed: bool


@dataclass
class Model:
    now: datetime
    points_per_unit: int
    daily_cap: int
    passbooks: list[PassbookModel]
    rewards: list[RewardModel]
    merchant_takings: list[int]
    issued_net: int = 0
    """Points the grid has put into circulation: approved sheets less reversed ones."""
    vouchers: list[VoucherModel] = field(default_factory=list)
    redemptions: list[list[int]] = field(default_factory=list)
    sheets: list[SheetModel] = field(default_factory=list)

    # scoring -------------------------------------------------------------------------------

    def live_units(self, volunteer: int, day: date) -> int:
        return sum(
            sheet.units.get(volunteer, 0)
            for sheet in self.sheets
            if sheet.day == day and not sheet.reversed
        )

    def score(self, units: dict[int, int], day: date) -> set[Refusal] | int:
        """Draft, submit and approve a sheet: the refusals, or the new sheet's index."""
        refused: set[Refusal] = set()
        if any(not 1 <= n <= self.daily_cap for n in units.values()):
            refused.add(Refusal.INVALID_LINE)
        if any(self.live_units(v, day) + n > self.daily_cap for v, n in units.items()):
            refused.add(Refusal.DAILY_CAP)
        if refused:
            return refused
        points = {v: n * self.points_per_unit for v, n in units.items()}
        for v, p in points.items():
            self.passbooks[v].posted += p
            self.passbooks[v].earned += p
        self.issued_net += sum(points.values())
        self.sheets.append(SheetModel(day, dict(units), points))
        return len(self.sheets) - 1

    def reverse(self, sheet_index: int) -> set[Refusal] | None:
        """Reverse an approved sheet whole; refused if it would take a passbook below zero
        available (held points are not available to take back)."""
        sheet = self.sheets[sheet_index]
        if sheet.reversed:
            return {Refusal.ALREADY_REVERSED}
        if any(self.passbooks[v].available < p for v, p in sheet.points.items()):
            return {Refusal.BELOW_ZERO}
        for v, p in sheet.points.items():
            self.passbooks[v].posted -= p
            self.passbooks[v].earned -= p
        self.issued_net -= sum(sheet.points.values())
        sheet.reversed = True
        return None

    # redemption ----------------------------------------------------------------------------

    def redeem(self, volunteer: int, reward_index: int, quantity: int) -> set[Refusal] | int:
        """Redeem ``quantity`` vouchers: the refusals, or the new redemption's index."""
        reward = self.rewards[reward_index]
        passbook = self.passbooks[volunteer]
        refused: set[Refusal] = set()
        if passbook.available < reward.cost * quantity:
            refused.add(Refusal.INSUFFICIENT_POINTS)
        left = reward.stock_left()
        if left is not None and left < quantity:
            refused.add(Refusal.SOLD_OUT)
        if reward.limit is not None and reward.limit_used[volunteer] + quantity > reward.limit:
            refused.add(Refusal.LIMIT_REACHED)
        if refused:
            return refused
        passbook.held += reward.cost * quantity
        reward.stock_used += quantity if reward.stock_total is not None else 0
        reward.limit_used[volunteer] += quantity if reward.limit is not None else 0
        expires_at = voucher_expiry(self.now, reward.valid_days)
        first = len(self.vouchers)
        self.vouchers.extend(
            VoucherModel(reward_index, volunteer, reward.cost, expires_at) for _ in range(quantity)
        )
        self.redemptions.append(list(range(first, first + quantity)))
        return len(self.redemptions) - 1

    def _give_back(self, voucher: VoucherModel, status: Status) -> None:
        """A cancelled or expired voucher returns its hold, its stock and its limit place."""
        reward = self.rewards[voucher.reward]
        self.passbooks[voucher.volunteer].held -= voucher.points
        if reward.stock_total is not None:
            reward.stock_used -= 1
        if reward.limit is not None:
            reward.limit_used[voucher.volunteer] -= 1
        voucher.status = status

    def cancel(self, voucher_index: int) -> set[Refusal] | None:
        voucher = self.vouchers[voucher_index]
        state = voucher.state(self.now)
        if state is Status.USED:
            return {Refusal.ALREADY_USED}
        if state is Status.EXPIRED:
            return {Refusal.EXPIRED}
        if state is Status.ISSUED:
            self._give_back(voucher, Status.CANCELLED)
        return None  # cancelling a cancelled voucher again answers the same

    def cancel_redemption(self, redemption_index: int) -> set[Refusal] | None:
        """Cancel every voucher of a redemption that is still unused; refused when none is
        issued or cancelled (each was used or has expired)."""
        indices = self.redemptions[redemption_index]
        open_ = [i for i in indices if self.vouchers[i].state(self.now) is Status.ISSUED]
        cancelled = [i for i in indices if self.vouchers[i].state(self.now) is Status.CANCELLED]
        if not open_ and not cancelled:
            used = any(self.vouchers[i].state(self.now) is Status.USED for i in indices)
            return {Refusal.ALREADY_USED if used else Refusal.EXPIRED}
        for i in open_:
            self._give_back(self.vouchers[i], Status.CANCELLED)
        return None

    # the clock -----------------------------------------------------------------------------

    def sweep(self) -> Sweep:
        """The expiry sweep closes every issued voucher past its date, once."""
        due = [v for v in self.vouchers if v.status is Status.ISSUED and v.expires_at <= self.now]
        for voucher in due:
            self._give_back(voucher, Status.EXPIRED)
        return Sweep(len(due), sum(v.points for v in due))

    # the merchant's counter ----------------------------------------------------------------

    def consume(
        self, voucher_index: int, merchant: int, scanner: str, key: str | None
    ) -> set[Refusal] | Scan:
        """Scan a voucher at ``merchant``: settle its hold into the merchant's account, once.
        The same scanner retrying a success with the same key is told it succeeded; any other
        scan of a used voucher (a fresh key, or none) is refused as already used."""
        voucher = self.vouchers[voucher_index]
        if self.rewards[voucher.reward].merchant != merchant:
            return {Refusal.NOT_YOURS}
        state = voucher.state(self.now)
        if state is Status.USED:
            assert voucher.used_at is not None
            if key is not None and (voucher.used_by, voucher.used_key) == (scanner, key):
                return Scan(replayed=True)
            return {Refusal.ALREADY_USED}
        if state is Status.CANCELLED:
            return {Refusal.CANCELLED}
        if state is Status.EXPIRED:
            return {Refusal.EXPIRED}
        passbook = self.passbooks[voucher.volunteer]
        passbook.held -= voucher.points
        passbook.posted -= voucher.points
        self.merchant_takings[merchant] += voucher.points
        voucher.status, voucher.used_at, voucher.used_by = Status.USED, self.now, scanner
        voucher.used_key = key
        return Scan(replayed=False)
