"""The double-entry points engine. It knows nothing of volunteers, rewards or HTTP.

Every change of a balance is an entry of two or more postings that sum to zero; entries are
never edited or deleted (database triggers refuse it) and a mistake is undone by a reversing
entry. Balances are kept on the account row and each posting records the balance after it.
Holds reserve points in two phases. Every write that moves points carries an idempotency key.
A per-account hash chain makes tampering evident; :func:`verify_books` recomputes it all, and
a signed checkpoint (:func:`make_checkpoint`, :func:`verify_checkpoint`) proves to an outsider
that history before it was not rewritten; a printed page's check code (:func:`check_code`)
lets anyone ask whether the printed history up to its last line is still the books'.

Every function takes an open connection: the caller's use case owns the transaction (see
:func:`db.run_in_transaction`), so several ledger calls commit or roll back together. The one
exception, :func:`post_entry_alone`, is for a use case that is one entry and nothing else.
"""

from ledger._accounts import (
    balance_from,
    find_account,
    get_balance,
    get_balances,
    open_account,
    with_balance,
)
from ledger._alone import post_entry_alone
from ledger._bulk import load_unchained_entries, open_accounts
from ledger._check_codes import (
    CHECK_CODE_ALPHABET,
    CHECK_CODE_BITS,
    ChainPoint,
    chain_points,
    check_code,
    normalise_check_code,
    same_code,
)
from ledger._checkpoints import (
    ChainHead,
    Checkpoint,
    CheckpointReport,
    Rewritten,
    canonical_bytes,
    checkpoint_from_body,
    make_checkpoint,
    verify_checkpoint,
)
from ledger._holds import expire_holds, get_hold, place_hold, release_hold, settle_hold
from ledger._owners import EntryOwner, entry_references, recording_columns
from ledger._posting import CORRECTION_KIND, REVERSAL_KIND, load_entry, post_entry, reverse_entry
from ledger._signing import (
    SignedCheckpoint,
    check_signature,
    fingerprint,
    load_private_key,
    load_public_key,
    new_private_key,
    private_key_pem,
    public_key_hex,
    public_key_pem,
    read_signed,
    sign_checkpoint,
)
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
    "CHECK_CODE_ALPHABET",
    "CHECK_CODE_BITS",
    "CORRECTION_KIND",
    "MAX_PAGE",
    "MAX_POINTS",
    "REVERSAL_KIND",
    "AccountId",
    "Balance",
    "ChainHead",
    "ChainPoint",
    "Checkpoint",
    "CheckpointReport",
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
    "Rewritten",
    "SignedCheckpoint",
    "StatementLine",
    "StatementPage",
    "TrialBalance",
    "TrialBalanceRow",
    "VerifyReport",
    "balance_from",
    "canonical_bytes",
    "chain_points",
    "check_code",
    "check_signature",
    "checkpoint_from_body",
    "entry_references",
    "expire_holds",
    "find_account",
    "fingerprint",
    "first_entries_of_kind",
    "get_balance",
    "get_balances",
    "get_hold",
    "load_entry",
    "load_private_key",
    "load_public_key",
    "load_unchained_entries",
    "make_checkpoint",
    "new_private_key",
    "normalise_check_code",
    "open_account",
    "open_accounts",
    "place_hold",
    "post_entry",
    "post_entry_alone",
    "private_key_pem",
    "public_key_hex",
    "public_key_pem",
    "read_signed",
    "recording_columns",
    "release_hold",
    "reverse_entry",
    "same_code",
    "settle_hold",
    "sign_checkpoint",
    "statement",
    "trial_balance",
    "verify_books",
    "verify_checkpoint",
    "with_balance",
]
