"""The rewards exchange: a catalog of rewards with stock, quotas, limits and eligibility;
instant redemption that holds points in the ledger and issues vouchers; cancellation and
expiry that give everything back; merchants that verify and consume vouchers exactly once;
settlement statements per merchant and period.

Uses the ledger through its public API only and knows nothing of HTTP. Every function that
takes a connection runs inside the caller's transaction (one use case, one transaction; see
:func:`db.run_in_transaction`, which retries every :class:`db.Retryable` race).

Scarce rewards (allocation 'ballot') are allocated by ballots: :func:`open_ballot` commits
to a secret seed, :func:`apply_to_ballot` holds the cost, :func:`draw_ballot` reveals the seed
and offers the places in the order :func:`draw_order` computes from public data,
:func:`decline_place` and the expiry sweep pass a place on to the next applicant.

The use cases, each checking who may do it, are in :mod:`rewards.services` (not imported
here: callers write ``from rewards import services``); the functions here trust their caller.
"""

from rewards import errors
from rewards._ballot_applying import apply_to_ballot, withdraw_application
from rewards._ballot_declining import ballot_offer_of, decline_place
from rewards._ballot_draw import (
    Drawn,
    commitment_of,
    draw_order,
    lottery_key,
    weighted_score,
)
from rewards._ballot_drawing import draw_ballot
from rewards._ballot_errors import (
    AlreadyApplied,
    AnotherBallotOpen,
    ApplicationNotFound,
    BallotAlreadyDrawn,
    BallotNotFound,
    BallotNotOpen,
    BallotStillOpen,
    InvalidBallot,
    NoPlaceOffered,
)
from rewards._ballot_opening import DRAW_WITHIN, open_ballot
from rewards._ballot_reading import (
    applications_of,
    find_application,
    find_ballot,
    get_ballot,
    list_ballots,
)
from rewards._ballot_sweeping import cancel_ballot, process_ballot, process_ballots
from rewards._ballot_tickets import is_ticket, new_ticket
from rewards._ballot_types import (
    Application,
    ApplicationStatus,
    Ballot,
    BallotRule,
    BallotSpec,
    BallotStatus,
    BallotSweep,
)
from rewards._catalog import (
    add_reward,
    change_reward,
    find_reward,
    get_reward,
    list_rewards,
    reward_by_id,
)
from rewards._codes import ALPHABET, CODE_LENGTH, grouped, is_well_formed, new_code, parse_code
from rewards._eligibility import Volunteer, find_volunteer, offer, refusals
from rewards._entry_owner import entry_owner
from rewards._expiry import (
    EXPIRY_LOCK,
    ExpirySweep,
    due_vouchers,
    expire_periodically,
    expire_voucher,
    expire_vouchers,
    sweep_round,
)
from rewards._images import MEDIA_TYPES, ImageFormat, code128, qr
from rewards._merchants import (
    MERCHANT_KIND,
    add_merchant,
    find_merchant,
    get_merchant,
    list_merchants,
    merchant_owner_ref,
)
from rewards._redemption import (
    MAX_QUANTITY,
    cancel_redemption,
    cancel_voucher,
    get_redemption,
    redeem_reward,
)
from rewards._scanning import consume_voucher, scanner_label, verify_voucher
from rewards._settlement import MAX_PERIOD_DAYS, settlement, settlement_csv, settlement_xlsx
from rewards._stock import give_back, take_stock
from rewards._throttle import ScanThrottle
from rewards._time import local_date, voucher_expiry
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
from rewards.errors import RewardsError

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "DRAW_WITHIN",
    "EXPIRY_LOCK",
    "MAX_PERIOD_DAYS",
    "MAX_QUANTITY",
    "MEDIA_TYPES",
    "MERCHANT_KIND",
    "Allocation",
    "AlreadyApplied",
    "AnotherBallotOpen",
    "Application",
    "ApplicationNotFound",
    "ApplicationStatus",
    "Ballot",
    "BallotAlreadyDrawn",
    "BallotNotFound",
    "BallotNotOpen",
    "BallotRule",
    "BallotSpec",
    "BallotStatus",
    "BallotStillOpen",
    "BallotSweep",
    "Consumption",
    "Drawn",
    "ExpirySweep",
    "ImageFormat",
    "InvalidBallot",
    "LimitPeriod",
    "Merchant",
    "NoPlaceOffered",
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
    "applications_of",
    "apply_to_ballot",
    "ballot_offer_of",
    "cancel_ballot",
    "cancel_redemption",
    "cancel_voucher",
    "change_reward",
    "code128",
    "commitment_of",
    "consume_voucher",
    "decline_place",
    "draw_ballot",
    "draw_order",
    "due_vouchers",
    "entry_owner",
    "errors",
    "expire_periodically",
    "expire_voucher",
    "expire_vouchers",
    "find_application",
    "find_ballot",
    "find_merchant",
    "find_reward",
    "find_volunteer",
    "find_voucher_by_code",
    "get_ballot",
    "get_merchant",
    "get_redemption",
    "get_reward",
    "get_voucher",
    "give_back",
    "grouped",
    "is_ticket",
    "is_well_formed",
    "issue_voucher",
    "list_ballots",
    "list_merchants",
    "list_rewards",
    "local_date",
    "lottery_key",
    "merchant_owner_ref",
    "new_code",
    "new_ticket",
    "offer",
    "open_ballot",
    "parse_code",
    "process_ballot",
    "process_ballots",
    "qr",
    "redeem_reward",
    "refusals",
    "reward_by_id",
    "scanner_label",
    "settlement",
    "settlement_csv",
    "settlement_xlsx",
    "sweep_round",
    "take_stock",
    "verify_voucher",
    "voucher_expiry",
    "vouchers_of",
    "weighted_score",
    "withdraw_application",
]
