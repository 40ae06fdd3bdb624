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
from i18n import Message, _

_HOLD_WORDS = {
    "settled": _("settled"),
    "released": _("released"),
    "expired": _("expired"),
    "closed": _("closed"),
}
"""A closed hold's state as a reader says it, in a refusal."""


class LedgerError(DomainError):
    code = "ledger_error"


class NotFound(LedgerError):
    code = "not_found"
    category = Category.NOT_FOUND


class AccountNotFound(NotFound):
    code = "account_not_found"

    def __init__(self, account_ids: list[int]) -> None:
        ids = ", ".join(str(i) for i in sorted(account_ids))
        super().__init__(_("No ledger account with id {ids}. Check the account number.", ids=ids))
        self.account_ids = sorted(account_ids)


class EntryNotFound(NotFound):
    code = "entry_not_found"

    def __init__(self, entry_id: int) -> None:
        super().__init__(
            _("No journal entry with id {entry_id}. Check the entry number.", entry_id=entry_id)
        )
        self.entry_id = entry_id


class HoldNotFound(NotFound):
    code = "hold_not_found"

    def __init__(self, hold_id: int) -> None:
        super().__init__(_("No hold with id {hold_id}.", hold_id=hold_id))
        self.hold_id = hold_id


class InvalidEntry(LedgerError):
    code = "invalid_entry"


class InsufficientPoints(LedgerError):
    code = "insufficient_points"
    category = Category.CONFLICT
    title = _("Not enough points")

    def __init__(
        self, account_id: int, available: int, needed: int, *, action: str | Message
    ) -> None:
        short = needed - available
        super().__init__(
            _(
                "{action} needs {needed} points from account {account_id}, which has "
                "{available} available; it is {short} points short. Nothing was changed.",
                action=action,
                needed=needed,
                account_id=account_id,
                available=available,
                short=short,
            ),
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
    title = _("Idempotency key reused")

    def __init__(self, key: str) -> None:
        super().__init__(
            _(
                "This idempotency key was already used for a different request. Use a "
                "new key for a new request; repeat a request only with exactly the same "
                "content."
            )
        )
        self.key = key


class EntryAlreadyReversed(LedgerError):
    code = "entry_already_reversed"
    category = Category.CONFLICT
    title = _("Already reversed")

    def __init__(self, entry_id: int, reversal_id: int | None) -> None:
        super().__init__(
            _(
                "Entry {entry_id} was already reversed by entry {reversal_id}; it cannot be "
                "reversed twice.",
                entry_id=entry_id,
                reversal_id=reversal_id,
            )
            if reversal_id is not None
            else _(
                "Entry {entry_id} was already reversed; it cannot be reversed twice.",
                entry_id=entry_id,
            )
        )
        self.entry_id = entry_id
        self.reversal_id = reversal_id


class ReversalNotAllowed(LedgerError):
    code = "reversal_not_allowed"
    category = Category.CONFLICT
    title = _("Reversal not allowed")


class EntryBelongsTo(LedgerError):
    """The generic reversal refuses an entry that a record outside the ledger owns (a sheet's
    approval, a line's correction, a bonus, a grant, a used voucher): reversing it alone would
    leave that record saying the points stand, and its own correction would take them again."""

    code = "entry_belongs_to"
    category = Category.CONFLICT
    title = _("Entry belongs to another record")

    def __init__(
        self,
        entry_id: int,
        *,
        owner: str,
        owner_id: int,
        what: str | Message,
        use_instead: str | Message,
    ):
        super().__init__(
            _(
                "Entry {entry_id} is {what}; it is not reversed on its own, which would "
                "leave the {owner} saying its points stand. Instead: {use_instead}. "
                "Nothing was changed.",
                entry_id=entry_id,
                what=what,
                owner=owner.replace("_", " "),
                use_instead=use_instead,
            ),
            entry_id=entry_id,
            owner=owner,
            owner_id=owner_id,
            use_instead=str(use_instead),
        )
        self.entry_id = entry_id


class LifetimeEarnedBelowZero(LedgerError):
    """An entry (a reversal, say) would take back more of an account's lifetime earned than
    the account has: the points it credited were taken back already."""

    code = "lifetime_earned_below_zero"
    category = Category.CONFLICT
    title = _("Lifetime earned below zero")

    def __init__(self, account_id: int, earned: int, taken: int, *, action: str | Message) -> None:
        super().__init__(
            _(
                "{action} would take {taken} points off account {account_id}'s lifetime "
                "earned, which is {earned}: the points it credited were taken back "
                "already (by a correction or a reversal). Nothing was changed.",
                action=action,
                taken=taken,
                account_id=account_id,
                earned=earned,
            ),
            account_id=account_id,
            lifetime_earned=earned,
            taken=taken,
        )
        self.account_id = account_id


class HoldNotOpen(LedgerError):
    code = "hold_not_open"
    category = Category.CONFLICT
    title = _("Hold not open")

    def __init__(self, hold_id: int, status: str, message: Message | None = None) -> None:
        super().__init__(
            message
            or _(
                "Hold {hold_id} is already {status}; nothing was changed.",
                hold_id=hold_id,
                status=_HOLD_WORDS.get(status, status),
            )
        )
        self.hold_id = hold_id
        self.status = status


class HoldExpired(HoldNotOpen):
    code = "hold_expired"

    def __init__(self, hold_id: int, expires_at: datetime) -> None:
        super().__init__(
            hold_id,
            "expired",
            _(
                "Hold {hold_id} expired at {expires_at}; its points go back to the account and "
                "it can no longer be settled.",
                hold_id=hold_id,
                expires_at=expires_at.isoformat(),
            ),
        )
        self.expires_at = expires_at


class BooksBroken(LedgerError):
    code = "books_broken"
    category = Category.CONFLICT
    title = _("The books do not verify")

    def __init__(self, problems: int, first_broken_entry: int | None) -> None:
        super().__init__(
            _(
                "The books do not verify: {problems} problem(s) (first broken entry "
                "{first_broken_entry}). A checkpoint vouches only for books that verify; run "
                "'passbook verify' and find out what happened first.",
                problems=problems,
                first_broken_entry=first_broken_entry,
            )
            if first_broken_entry
            else _(
                "The books do not verify: {problems} problem(s). A checkpoint vouches only "
                "for books that verify; run 'passbook verify' and find out what happened "
                "first.",
                problems=problems,
            ),
            problem_count=problems,
            first_broken_entry=first_broken_entry,
        )


class InvalidCheckpoint(LedgerError):
    code = "invalid_checkpoint"
    title = _("Invalid checkpoint")


class SignatureInvalid(InvalidCheckpoint):
    code = "checkpoint_signature_invalid"
    title = _("Checkpoint signature does not verify")


class IdempotencyRace(Retryable):
    """A concurrent request with the same key committed first. The transaction runner retries
    the whole use case, which finds the stored result and replays it."""
