"""What an entry must be before it is written: its key, its texts and its legs, and the digest
that tells a replay of a request from a different request under the same key.

Invariant: an entry has two or more postings of whole, non-zero points on distinct accounts,
summing to 0, each within :data:`ledger.MAX_POINTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from i18n import _
from ledger import _chain
from ledger._tables import KEY_LENGTH
from ledger._types import MAX_POINTS, Leg
from ledger.errors import InvalidEntry

MEMO_LENGTH = 500


def request_digest(*parts: object) -> str:
    return _chain.digest([str(p) if isinstance(p, date) else p for p in parts])


def entry_request_digest(
    op: str,
    kind: str,
    memo: str,
    effective_date: date | None,
    reverses: int | None,
    legs: Sequence[Leg],
) -> str:
    return request_digest(
        op,
        kind,
        memo,
        effective_date,
        reverses,
        sorted((leg.account_id, leg.amount) for leg in legs),
    )


def check_key(key: str) -> None:
    if not key or not key.strip() or len(key) > KEY_LENGTH:
        raise InvalidEntry(
            _(
                "An idempotency key of 1 to {key_length} characters is required for "
                "every write that moves points; send a fresh random key (a UUID) with "
                "each new request.",
                key_length=KEY_LENGTH,
            )
        )


def check_text(*, kind: str, memo: str, actor: str) -> None:
    if not kind or len(kind) > 40:
        raise InvalidEntry(_("An entry needs a kind of 1 to 40 characters."))
    if not actor or len(actor) > 128:
        raise InvalidEntry(_("An entry needs the actor who made it (1 to 128 characters)."))
    if len(memo) > MEMO_LENGTH:
        raise InvalidEntry(
            _(
                "The memo is {count} characters; at most {memo_length} fit.",
                count=len(memo),
                memo_length=MEMO_LENGTH,
            )
        )


def check_legs(legs: Sequence[Leg]) -> list[Leg]:
    if len(legs) < 2:
        raise InvalidEntry(_("An entry needs at least two postings: points come from somewhere."))
    seen: set[int] = set()
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            raise InvalidEntry(_("Points are whole numbers; got {amount!r}.", amount=leg.amount))
        if leg.amount == 0:
            raise InvalidEntry(
                _("The posting to account {account_id} is zero points.", account_id=leg.account_id)
            )
        if abs(leg.amount) > MAX_POINTS:
            raise InvalidEntry(
                _("{amount} points is more than any entry may move.", amount=leg.amount)
            )
        if leg.account_id in seen:
            raise InvalidEntry(
                _(
                    "Account {account_id} appears twice in one entry; combine its postings.",
                    account_id=leg.account_id,
                )
            )
        seen.add(leg.account_id)
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise InvalidEntry(
            _("The postings sum to {total}, not 0; an entry must balance.", total=total)
        )
    return list(legs)
