"""Posting an entry on PostgreSQL: one call of the server-side ``ledger_post_entry``.

Invariant: the function (migration 0010) keeps every rule the Python path of
:mod:`ledger._posting` keeps, in one statement and so one round trip: it locks the accounts in
ascending id order, answers a key already used with the entry it made, refuses with the
figures (writing nothing, the transaction still usable) a non-negative account below zero
available, a balance past the largest allowed and lifetime earned below zero, links each
posting into its account's hash chain with the same formula as :func:`ledger._chain.chain_link`
and writes the entry, its postings and the kept balances together. This module only turns its
answer into an :class:`Entry` or the error the Python path would raise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from i18n import Message, _
from ledger._tables import account, entry
from ledger._types import MAX_POINTS, AccountId, Entry, EntryId, Leg, Posting
from ledger.errors import (
    AccountNotFound,
    IdempotencyRace,
    InsufficientPoints,
    InvalidEntry,
    LifetimeEarnedBelowZero,
)

# Fixed text over arrays: prepared once per connection whatever the entry's size.
_POST = text(
    "SELECT status, entry_id, account_id, figure, other_figure, request_digest, balances, seqs"
    " FROM ledger_post_entry(:kind, :memo, :actor, :created_at, :effective_date,"
    " CAST(:reverses AS BIGINT), :key, :request_digest, :entry_hash,"
    " CAST(:accounts AS BIGINT[]), CAST(:amounts AS BIGINT[]), CAST(:releases AS BIGINT[]),"
    " :takes_back, CAST(:max_points AS BIGINT))"
).bindparams(
    bindparam("created_at", type_=entry.c.created_at.type),
    bindparam("effective_date", type_=entry.c.effective_date.type),
)


@dataclass(frozen=True, slots=True)
class Taken:
    """The key was used already: by the entry ``entry_id``, for the request ``digest``."""

    entry_id: EntryId
    digest: str


async def post_on_server(
    conn: AsyncConnection,
    *,
    head: Entry,
    legs: Sequence[Leg],
    request_digest: str,
    entry_hash: str,
    held_release: Mapping[AccountId, int],
    takes_back: bool,
    action: str | Message,
) -> Entry | Taken:
    """Post ``legs`` as the entry ``head`` describes (its id and postings are filled in from
    the server's answer); a :class:`Taken` if its key was used already (the caller replays
    or refuses)."""
    ordered = sorted(legs, key=lambda leg: leg.account_id)
    accounts = [leg.account_id for leg in ordered]
    amounts = [leg.amount for leg in ordered]
    params = {
        "kind": head.kind,
        "memo": head.memo,
        "actor": head.actor,
        "created_at": head.created_at,
        "effective_date": head.effective_date,
        "reverses": head.reverses_entry_id,
        "key": head.idempotency_key,
        "request_digest": request_digest,
        "entry_hash": entry_hash,
        "accounts": accounts,
        "amounts": amounts,
        "releases": [held_release.get(a, 0) for a in accounts],
        "takes_back": takes_back,
        "max_points": MAX_POINTS,
    }
    row = (await conn.execute(_POST, params)).one()
    status = row.status
    if status == "posted":
        postings = tuple(
            Posting(a, amount, balance, seq)
            for a, amount, balance, seq in zip(
                accounts, amounts, row.balances, row.seqs, strict=True
            )
        )
        return dataclasses.replace(head, id=EntryId(row.entry_id), postings=postings)
    if status == "replay":
        return Taken(EntryId(row.entry_id), row.request_digest)
    if status == "insufficient":
        raise InsufficientPoints(row.account_id, row.figure, row.other_figure, action=action)
    if status == "lifetime":
        raise LifetimeEarnedBelowZero(row.account_id, row.figure, row.other_figure, action=action)
    if status == "too_big":
        raise InvalidEntry(
            _(
                "Account {acc_id} would exceed the largest balance allowed.",
                acc_id=row.account_id,
            )
        )
    if status == "missing":
        found = set(await conn.scalars(select(account.c.id).where(account.c.id.in_(accounts))))
        raise AccountNotFound([a for a in accounts if a not in found])
    if status == "race":
        raise IdempotencyRace(head.idempotency_key)
    raise RuntimeError(f"ledger_post_entry answered {status!r}")  # pragma: no cover
