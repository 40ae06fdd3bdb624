"""The rewards exchange's use cases, one named function each, for every entry point alike:
the API, the pages and the command line call these and get one rule, written once.

Each takes the connection of its one transaction and the :class:`access.Principal` who acts,
then plain keyword inputs; it checks who may do it with the :mod:`access` checks (refusing
with :class:`access.Forbidden`), does the work with the exchange's domain functions, and
answers a domain value, never an API schema. The one exception, :func:`public_ballot`, is the
record anyone may check without signing in.

Not imported by :mod:`rewards` itself: callers write ``from rewards import services``.
"""

from rewards.services.ballots import (
    ApplicationView,
    BallotRecord,
    DrawResult,
    Pass,
    PublicApplicant,
    apply_to_ballot,
    cancel_ballot,
    decline_place,
    draw_ballot,
    list_applications,
    list_ballots,
    open_ballot,
    process_ballot,
    public_ballot,
    see_application,
    see_ballot,
    withdraw_application,
)
from rewards.services.catalog import (
    Catalog,
    add_merchant,
    add_reward,
    browse_catalog,
    change_reward,
    list_merchants,
    see_reward,
)
from rewards.services.redemptions import cancel_redemption, redeem_reward, see_redemption
from rewards.services.settlement import merchant_settlement
from rewards.services.vouchers import (
    MAX_VOUCHER_PAGE,
    PassbookVouchers,
    VoucherImage,
    cancel_voucher,
    consume_voucher,
    guarded_scan,
    passbook_vouchers,
    see_voucher,
    verify_voucher,
    voucher_image,
)

__all__ = [
    "MAX_VOUCHER_PAGE",
    "ApplicationView",
    "BallotRecord",
    "Catalog",
    "DrawResult",
    "Pass",
    "PassbookVouchers",
    "PublicApplicant",
    "VoucherImage",
    "add_merchant",
    "add_reward",
    "apply_to_ballot",
    "browse_catalog",
    "cancel_ballot",
    "cancel_redemption",
    "cancel_voucher",
    "change_reward",
    "consume_voucher",
    "decline_place",
    "draw_ballot",
    "guarded_scan",
    "list_applications",
    "list_ballots",
    "list_merchants",
    "merchant_settlement",
    "open_ballot",
    "passbook_vouchers",
    "process_ballot",
    "public_ballot",
    "redeem_reward",
    "see_application",
    "see_ballot",
    "see_redemption",
    "see_reward",
    "see_voucher",
    "verify_voucher",
    "voucher_image",
    "withdraw_application",
]
