"""The rewards exchange: a catalog of rewards with stock, quotas, limits and eligibility;
instant redemption that holds points in the ledger and issues vouchers; cancellation and
expiry that give everything back; merchants that verify and consume vouchers exactly once;
settlement statements per merchant and period.

Uses the ledger through its public API only and knows nothing of HTTP. Every function that
takes a connection runs inside the caller's transaction (one use case, one transaction; see
:func:`db.run_in_transaction` with ``retry_on=rewards.is_retryable``).

For a ballot (scarce rewards): hold the cost with :func:`ledger.place_hold` when a volunteer
applies, take the place with :func:`take_stock` (``count_limit`` as the ballot's rule says)
for each winner, and issue the voucher with :func:`issue_voucher`; release the others' holds.
"""

from rewards import errors
from rewards._catalog import (
    MERCHANT_KIND,
    add_merchant,
    add_reward,
    change_reward,
    find_merchant,
    find_reward,
    get_merchant,
    get_reward,
    list_merchants,
    list_rewards,
    merchant_owner_ref,
    reward_by_id,
)
from rewards._codes import ALPHABET, CODE_LENGTH, grouped, is_well_formed, new_code, parse_code
from rewards._eligibility import Volunteer, find_volunteer, offer, refusals
from rewards._expiry import (
    ExpirySweep,
    due_vouchers,
    expire_periodically,
    expire_voucher,
    expire_vouchers,
)
from rewards._images import MEDIA_TYPES, ImageFormat, code128, qr
from rewards._redemption import (
    MAX_QUANTITY,
    cancel_redemption,
    cancel_voucher,
    get_redemption,
    redeem_reward,
)
from rewards._scanning import REPLAY_WINDOW, consume_voucher, verify_voucher
from rewards._settlement import MAX_PERIOD_DAYS, settlement, settlement_csv
from rewards._stock import give_back, take_stock
from rewards._throttle import ScanThrottle
from rewards._time import CHINA, local_date, voucher_expiry
from rewards._types import (
    Allocation,
    Consumption,
    LimitPeriod,
    Merchant,
    Offer,
    Reason,
    Redemption,
    Reward,
    RewardChanges,
    RewardKind,
    RewardSpec,
    RewardTotal,
    Scan,
    Settlement,
    SettlementLine,
    StockClaim,
    Verdict,
    Voucher,
    VoucherStatus,
)
from rewards._vouchers import find_voucher_by_code, get_voucher, issue_voucher, vouchers_of
from rewards.errors import RewardsError, is_retryable

__all__ = [
    "ALPHABET",
    "CHINA",
    "CODE_LENGTH",
    "MAX_PERIOD_DAYS",
    "MAX_QUANTITY",
    "MEDIA_TYPES",
    "MERCHANT_KIND",
    "REPLAY_WINDOW",
    "Allocation",
    "Consumption",
    "ExpirySweep",
    "ImageFormat",
    "LimitPeriod",
    "Merchant",
    "Offer",
    "Reason",
    "Redemption",
    "Reward",
    "RewardChanges",
    "RewardKind",
    "RewardSpec",
    "RewardTotal",
    "RewardsError",
    "Scan",
    "ScanThrottle",
    "Settlement",
    "SettlementLine",
    "StockClaim",
    "Verdict",
    "Volunteer",
    "Voucher",
    "VoucherStatus",
    "add_merchant",
    "add_reward",
    "cancel_redemption",
    "cancel_voucher",
    "change_reward",
    "code128",
    "consume_voucher",
    "due_vouchers",
    "errors",
    "expire_periodically",
    "expire_voucher",
    "expire_vouchers",
    "find_merchant",
    "find_reward",
    "find_volunteer",
    "find_voucher_by_code",
    "get_merchant",
    "get_redemption",
    "get_reward",
    "get_voucher",
    "give_back",
    "grouped",
    "is_retryable",
    "is_well_formed",
    "issue_voucher",
    "list_merchants",
    "list_rewards",
    "local_date",
    "merchant_owner_ref",
    "new_code",
    "offer",
    "parse_code",
    "qr",
    "redeem_reward",
    "refusals",
    "reward_by_id",
    "settlement",
    "settlement_csv",
    "take_stock",
    "verify_voucher",
    "voucher_expiry",
    "vouchers_of",
]
