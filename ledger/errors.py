"""Errors the ledger raises. Each names the state that refused the request and says what to do.

The ledger's branch of the one error tree (:class:`db.DomainError`)::

    LedgerError                    (category, and the title an API shows)
    ├── NotFound
    │   ├── AccountNotFound
    │   ├── EntryNotFound
    │   └── HoldNotFound
    ├── InvalidEntry               the request itself is malformed (unbalanced, zero, ...)
    ├── InsufficientPoints         a non-negative account would go below zero
    ├── IdempotencyConflict        the key was used before with a different request
    ├── EntryAlreadyReversed
    ├── ReversalNotAllowed         a reversal is not itself reversed
    ├── EntryBelongsTo             the entry is a sheet's, a grant's, a voucher's...: correct it there
    ├── LifetimeEarnedBelowZero    undoing the entry would take lifetime earned below zero
    ├── HoldNotOpen                settled, released or expired already
    │   └── HoldExpired
    ├── BooksBroken                a checkpoint of books that do not verify
    └── InvalidCheckpoint          a checkpoint file that is malformed or altered
        └── SignatureInvalid       its signature does not verify with the auditor's key

    IdempotencyRace (db.Retryable) a concurrent request with the same key committed first

``code`` is stable and machine-readable; messages are for people and may change.
"""

from __future__ import annotations

from datetime import datetime

from db import Category, DomainError, Retryable


class LedgerError(DomainError):
    code = "ledger_error"


class NotFound(LedgerError):
    code = "not_found"
    category = Category.NOT_FOUND


class AccountNotFound(NotFound):
    code = "account_not_found"

    def __init__(self, account_ids: list[int]) -> None:
        ids = ", ".join(str(i) for i in sorted(account_ids))
        super().__init__(f"No ledger account with id {ids}. Check the account number.")
        self.account_ids = sorted(account_ids)


class EntryNotFound(NotFound):
    code = "entry_not_found"

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"No journal entry with id {entry_id}. Check the entry number.")
        self.entry_id = entry_id


class HoldNotFound(NotFound):
    code = "hold_not_found"

    def __init__(self, hold_id: int) -> None:
        super().__init__(f"No hold with id {hold_id}.")
        self.hold_id = hold_id


class InvalidEntry(LedgerError):
    code = "invalid_entry"


class InsufficientPoints(LedgerError):
    code = "insufficient_points"
    category = Category.CONFLICT
    title = "Not enough points"

    def __init__(self, account_id: int, available: int, needed: int, *, action: str) -> None:
        short = needed - available
        super().__init__(
            f"{action} needs {needed} points from account {account_id}, which has {available} "
            f"available; it is {short} points short. Nothing was changed.",
            available=available,
            needed=needed,
            short=short,
        )
        self.account_id = account_id
        self.available = available
        self.needed = needed
        self.short = short


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    category = Category.CONFLICT
    title = "Idempotency key reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            "This idempotency key was already used for a different request. "
            "Use a new key for a new request; repeat a request only with exactly the same content."
        )
        self.key = key


class EntryAlreadyReversed(LedgerError):
    code = "entry_already_reversed"
    category = Category.CONFLICT
    title = "Already reversed"

    def __init__(self, entry_id: int, reversal_id: int | None) -> None:
        by = f" by entry {reversal_id}" if reversal_id is not None else ""
        super().__init__(f"Entry {entry_id} was already reversed{by}; it cannot be reversed twice.")
        self.entry_id = entry_id
        self.reversal_id = reversal_id


class ReversalNotAllowed(LedgerError):
    code = "reversal_not_allowed"
    category = Category.CONFLICT
    title = "Reversal not allowed"


class EntryBelongsTo(LedgerError):
    """The generic reversal refuses an entry that a record outside the ledger owns (a sheet's
    approval, a line's correction, a bonus, a grant, a used voucher): reversing it alone would
    leave that record saying the points stand, and its own correction would take them again."""

    code = "entry_belongs_to"
    category = Category.CONFLICT
    title = "Entry belongs to another record"

    def __init__(self, entry_id: int, *, owner: str, owner_id: int, what: str, use_instead: str):
        super().__init__(
            f"Entry {entry_id} is {what}; it is not reversed on its own, which would leave the "
            f"{owner.replace('_', ' ')} saying its points stand. Instead: {use_instead}. "
            "Nothing was changed.",
            entry_id=entry_id,
            owner=owner,
            owner_id=owner_id,
            use_instead=use_instead,
        )
        self.entry_id = entry_id


class LifetimeEarnedBelowZero(LedgerError):
    """An entry (a reversal, say) would take back more of an account's lifetime earned than
    the account has: the points it credited were taken back already."""

    code = "lifetime_earned_below_zero"
    category = Category.CONFLICT
    title = "Lifetime earned below zero"

    def __init__(self, account_id: int, earned: int, taken: int, *, action: str) -> None:
        super().__init__(
            f"{action} would take {taken} points off account {account_id}'s lifetime earned, "
            f"which is {earned}: the points it credited were taken back already (by a "
            "correction or a reversal). Nothing was changed.",
            account_id=account_id,
            lifetime_earned=earned,
            taken=taken,
        )
        self.account_id = account_id


class HoldNotOpen(LedgerError):
    code = "hold_not_open"
    category = Category.CONFLICT
    title = "Hold not open"

    def __init__(self, hold_id: int, status: str, message: str | None = None) -> None:
        super().__init__(message or f"Hold {hold_id} is already {status}; nothing was changed.")
        self.hold_id = hold_id
        self.status = status


class HoldExpired(HoldNotOpen):
    code = "hold_expired"

    def __init__(self, hold_id: int, expires_at: datetime) -> None:
        super().__init__(
            hold_id,
            "expired",
            f"Hold {hold_id} expired at {expires_at.isoformat()}; its points go back to the "
            "account and it can no longer be settled.",
        )
        self.expires_at = expires_at


class BooksBroken(LedgerError):
    code = "books_broken"
    category = Category.CONFLICT
    title = "The books do not verify"

    def __init__(self, problems: int, first_broken_entry: int | None) -> None:
        first = f" (first broken entry {first_broken_entry})" if first_broken_entry else ""
        super().__init__(
            f"The books do not verify: {problems} problem(s){first}. A checkpoint vouches only "
            "for books that verify; run 'passbook verify' and find out what happened first.",
            problem_count=problems,
            first_broken_entry=first_broken_entry,
        )


class InvalidCheckpoint(LedgerError):
    code = "invalid_checkpoint"
    title = "Invalid checkpoint"


class SignatureInvalid(InvalidCheckpoint):
    code = "checkpoint_signature_invalid"
    title = "Checkpoint signature does not verify"


class IdempotencyRace(Retryable):
    """A concurrent request with the same key committed first. The transaction runner retries
    the whole use case, which finds the stored result and replays it."""
