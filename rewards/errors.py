"""Errors the rewards exchange raises. Each names the state that refused the request and says
what to do; none knows HTTP. This is the exchange's branch of the one error tree
(:class:`db.DomainError`): ``category`` says what kind of refusal it is, ``code`` is stable and
machine-readable, ``figures`` carries numbers a client may show (points short, stock left, ...).

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
    ├── TooManyInvalidCodes        a burst of invalid codes from one credential  (throttled)
    └── (ballots: BallotNotFound, BallotNotOpen, ... drawn in :mod:`rewards._ballot_errors`)

    RedemptionRace, ConsumeRace (db.Retryable): a concurrent request with the same key
    committed first; the transaction runner retries

Points a passbook does not have are refused by the ledger (:class:`ledger.errors.InsufficientPoints`).
"""

from __future__ import annotations

from datetime import datetime

from db import Category, DomainError, Retryable
from i18n import _


class RewardsError(DomainError):
    code = "rewards_error"


class RewardNotFound(RewardsError):
    code = "reward_not_found"
    category = Category.NOT_FOUND


class MerchantNotFound(RewardsError):
    code = "merchant_not_found"
    category = Category.NOT_FOUND


class VoucherNotFound(RewardsError):
    code = "voucher_not_found"
    category = Category.NOT_FOUND


class RedemptionNotFound(RewardsError):
    code = "redemption_not_found"
    category = Category.NOT_FOUND


class RewardExists(RewardsError):
    code = "reward_exists"
    category = Category.CONFLICT


class InvalidCatalog(RewardsError):
    code = "invalid_catalog"


class InvalidRedemption(RewardsError):
    code = "invalid_redemption"


class VoucherCodeInvalid(RewardsError):
    code = "voucher_code_invalid"


class CannotRedeem(RewardsError):
    code = "cannot_redeem"
    category = Category.CONFLICT


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
    category = Category.CONFLICT

    def __init__(self) -> None:
        super().__init__(
            _(
                "This Idempotency-Key was already used for a different redemption. Use a "
                "new key for a new request; repeat a key only to retry exactly the same "
                "request."
            )
        )


class ConsumeKeyReused(RewardsError):
    code = "idempotency_conflict"
    category = Category.CONFLICT

    def __init__(self) -> None:
        super().__init__(
            _(
                "This Idempotency-Key already used another voucher. Use a new key for "
                "each voucher scanned; repeat a key only to retry the same scan."
            )
        )


class VoucherNotYours(RewardsError):
    code = "voucher_not_yours"
    category = Category.FORBIDDEN


class VoucherNotUsable(RewardsError):
    code = "voucher_not_usable"
    category = Category.CONFLICT


class VoucherAlreadyUsed(VoucherNotUsable):
    code = "voucher_already_used"


class VoucherExpired(VoucherNotUsable):
    code = "voucher_expired"


class VoucherCancelled(VoucherNotUsable):
    code = "voucher_cancelled"


class TooManyInvalidCodes(RewardsError):
    code = "too_many_invalid_codes"
    category = Category.THROTTLED

    def __init__(self, retry_after: int, until: datetime) -> None:
        super().__init__(
            _(
                "Too many invalid voucher codes from this scanner in a short time; "
                "scanning is paused for {retry_after} seconds. Check the codes being "
                "typed, then try again.",
                retry_after=retry_after,
            ),
            retry_after=retry_after,
        )
        # The answer states the pause in its body too, for scanners that hide headers.
        self.figures["retry_after"] = retry_after
        self.until = until


class RedemptionRace(Retryable):
    """A concurrent request with the same key committed first. The transaction runner retries
    the whole use case: the retry finds the stored redemption and replays it."""


class ConsumeRace(Retryable):
    """A concurrent scan with the same key used another voucher first. Retry the whole
    transaction: the retry finds that voucher and refuses the key as reused."""
