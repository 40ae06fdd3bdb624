"""The double-entry points engine. It knows nothing of volunteers, rewards or HTTP.

Every change of a balance is an entry of two or more postings that sum to zero; entries are
never edited or deleted (database triggers refuse it) and a mistake is undone by a reversing
entry. Balances are kept on the account row and each posting records the balance after it.
Holds reserve points in two phases. Every write that moves points carries an idempotency key.
A per-account hash chain makes tampering evident; :func:`verify_books` recomputes it all.

Every function takes an open connection: the caller's use case owns the transaction (see
:func:`db.run_in_transaction`), so several ledger calls commit or roll back together.
"""

from ledger._accounts import find_account, get_balance, get_balances, open_account
from ledger._bulk import load_unchained_entries, open_accounts
from ledger._holds import expire_holds, get_hold, place_hold, release_hold, settle_hold
from ledger._owners import EntryOwner, entry_references, recording_columns
from ledger._posting import CORRECTION_KIND, REVERSAL_KIND, load_entry, post_entry, reverse_entry
from ledger._statements import (
    MAX_PAGE,
    StatementLine,
    StatementPage,
    TrialBalance,
    TrialBalanceRow,
    first_entries_of_kind,
    statement,
    trial_balance,
)
from ledger._types import (
    MAX_POINTS,
    AccountId,
    Balance,
    Entry,
    EntryId,
    Hold,
    HoldId,
    HoldStatus,
    Leg,
    Points,
    Posting,
)
from ledger._verify import Problem, VerifyReport, verify_books

__all__ = [
    "CORRECTION_KIND",
    "MAX_PAGE",
    "MAX_POINTS",
    "REVERSAL_KIND",
    "AccountId",
    "Balance",
    "Entry",
    "EntryId",
    "EntryOwner",
    "Hold",
    "HoldId",
    "HoldStatus",
    "Leg",
    "Points",
    "Posting",
    "Problem",
    "StatementLine",
    "StatementPage",
    "TrialBalance",
    "TrialBalanceRow",
    "VerifyReport",
    "entry_references",
    "expire_holds",
    "find_account",
    "first_entries_of_kind",
    "get_balance",
    "get_balances",
    "get_hold",
    "load_entry",
    "load_unchained_entries",
    "open_account",
    "open_accounts",
    "place_hold",
    "post_entry",
    "recording_columns",
    "release_hold",
    "reverse_entry",
    "settle_hold",
    "statement",
    "trial_balance",
    "verify_books",
]
