"""The one root of every error the domain raises, and the one base of every race worth retrying.

The tree (each package draws its own branch in its errors module)::

    DomainError                 code, category, figures, retry_after, title
    ├── InvalidRequest          a request a use case cannot act on as given
    ├── ledger.LedgerError      accounts, entries, postings, holds
    ├── community.RegistryError org units, volunteers, council members, sign-in
    ├── access.AccessError      credentials and scope: who may do what
    ├── council.ScoringError    savings rules, incentives, sheets, budgets
    └── rewards.RewardsError    catalog, redemptions, vouchers, ballots

    Retryable                   a concurrent transaction committed first; run it all again
    ├── ledger.IdempotencyRace
    ├── council.DraftRace
    ├── community.CouncilMemberCodeRace
    └── rewards.RedemptionRace, rewards.ConsumeRace

Invariants: a domain error knows no HTTP; its :class:`Category` alone decides the status an
API answers; ``code`` is stable and machine-readable while the message is for people and may
change. A :class:`Retryable` never reaches a caller of :func:`db.run_in_transaction`: the runner
rolls back and runs the whole use case again, which then finds what the other one stored.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from i18n import Message


class Category(enum.StrEnum):
    """What kind of refusal an error is; the only thing an API maps to a status."""

    NOT_FOUND = "not_found"
    INVALID = "invalid"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    THROTTLED = "throttled"
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"


class DomainError(Exception):
    """A request the books refused, saying what happened and what to do.

    ``message`` is a :class:`i18n.Message` (``str()`` of the error is its English text, and an
    edge shows it in the reader's language), or a plain string not yet in the catalogue;
    ``figures`` are facts a client may show (points short, budget left); ``retry_after``
    (seconds) says when trying again can help; ``title`` is a short heading, when the category's
    own is too vague."""

    code: ClassVar[str] = "domain_error"
    category: ClassVar[Category] = Category.INVALID
    title: ClassVar[str | Message | None] = None

    def __init__(
        self, message: str | Message, *, retry_after: int | None = None, **figures: Any
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.retry_after = retry_after
        self.figures: dict[str, Any] = figures


class InvalidRequest(DomainError):
    """A request a use case cannot act on as given (a missing input, bounds the wrong way
    round); the package-specific errors say more where they can."""

    code = "invalid_request"


class Retryable(Exception):
    """A race lost to a concurrent transaction that committed first: retry the whole of it."""
