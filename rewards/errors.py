"""Errors the rewards exchange raises. Each names the state that refused the request and says
what to do; none knows HTTP. ``category`` tells the API layer what kind of refusal it is
(not_found, invalid, conflict, forbidden, throttled), ``code`` is stable and machine-readable,
``figures`` carries numbers a client may show (points short, stock left, ...).

The tree::

    RewardsError
    ├── RewardNotFound, MerchantNotFound, VoucherNotFound, RedemptionNotFound   (not_found)
    ├── RewardExists               a reward code already in the catalog         (conflict)
    ├── InvalidCatalog             a reward or merchant definition that cannot be  (invalid)
    ├── InvalidRedemption          a quantity out of range, a period too long, ...  (invalid)
    ├── VoucherCodeInvalid         wrong length, a foreign character, a failed check character
    ├── CannotRedeem                                                             (conflict)
    │   ├── NotEligible            too few lifetime points or months, another grid, moved away
    │   ├── NotOnSale              before or after the sale window, or withdrawn
    │   ├── AllocatedByBallot      a scarce reward: apply to its ballot instead
    │   ├── SoldOut                the stock is used up
    │   ├── QuotaReached           this month's quota is used up (it comes back next month)
    │   └── LimitReached           the volunteer's own limit for the period is used up
    ├── RedemptionKeyReused        an Idempotency-Key sent before with a different request
    ├── ConsumeKeyReused           a scan's Idempotency-Key sent before for another voucher
    ├── VoucherNotYours            a merchant scanning another merchant's voucher  (forbidden)
    ├── VoucherNotUsable                                                        (conflict)
    │   ├── VoucherAlreadyUsed
    │   ├── VoucherExpired
    │   └── VoucherCancelled
    └── TooManyInvalidCodes        a burst of invalid codes from one credential  (throttled)

Points a passbook does not have are refused by the ledger (:class:`ledger.errors.InsufficientPoints`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ledger


class RewardsError(Exception):
    code = "rewards_error"
    category = "invalid"

    def __init__(self, message: str, **figures: Any) -> None:
        super().__init__(message)
        self.message = message
        self.figures: dict[str, Any] = figures


class RewardNotFound(RewardsError):
    code = "reward_not_found"
    category = "not_found"


class MerchantNotFound(RewardsError):
    code = "merchant_not_found"
    category = "not_found"


class VoucherNotFound(RewardsError):
    code = "voucher_not_found"
    category = "not_found"


class RedemptionNotFound(RewardsError):
    code = "redemption_not_found"
    category = "not_found"


class RewardExists(RewardsError):
    code = "reward_exists"
    category = "conflict"


class InvalidCatalog(RewardsError):
    code = "invalid_catalog"


class InvalidRedemption(RewardsError):
    code = "invalid_redemption"


class VoucherCodeInvalid(RewardsError):
    code = "voucher_code_invalid"


class CannotRedeem(RewardsError):
    code = "cannot_redeem"
    category = "conflict"


class NotEligible(CannotRedeem):
    code = "not_eligible"


class NotOnSale(CannotRedeem):
    code = "not_on_sale"


class AllocatedByBallot(CannotRedeem):
    code = "allocated_by_ballot"


class SoldOut(CannotRedeem):
    code = "sold_out"


class QuotaReached(CannotRedeem):
    code = "quota_reached"


class LimitReached(CannotRedeem):
    code = "limit_reached"


class RedemptionKeyReused(RewardsError):
    code = "idempotency_conflict"
    category = "conflict"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different redemption. Use a new key "
            "for a new request; repeat a key only to retry exactly the same request."
        )


class ConsumeKeyReused(RewardsError):
    code = "idempotency_conflict"
    category = "conflict"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key already used another voucher. Use a new key for each voucher "
            "scanned; repeat a key only to retry the same scan."
        )


class VoucherNotYours(RewardsError):
    code = "voucher_not_yours"
    category = "forbidden"


class VoucherNotUsable(RewardsError):
    code = "voucher_not_usable"
    category = "conflict"


class VoucherAlreadyUsed(VoucherNotUsable):
    code = "voucher_already_used"


class VoucherExpired(VoucherNotUsable):
    code = "voucher_expired"


class VoucherCancelled(VoucherNotUsable):
    code = "voucher_cancelled"


class TooManyInvalidCodes(RewardsError):
    code = "too_many_invalid_codes"
    category = "throttled"

    def __init__(self, retry_after: int, until: datetime) -> None:
        super().__init__(
            f"Too many invalid voucher codes from this scanner in a short time; scanning is "
            f"paused for {retry_after} seconds. Check the codes being typed, then try again.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after
        self.until = until


class RedemptionRace(Exception):
    """A concurrent request with the same key committed first. Retry the whole transaction
    (see :func:`rewards.is_retryable`): the retry finds the stored redemption and replays it."""


class ConsumeRace(Exception):
    """A concurrent scan with the same key used another voucher first. Retry the whole
    transaction: the retry finds that voucher and refuses the key as reused."""


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, RedemptionRace | ConsumeRace) or ledger.is_retryable(error)
