"""Posting and reversing journal entries.

Invariants protected here (the database backs each one up):

* an entry has two or more postings of whole, non-zero points on distinct accounts, summing to 0;
* the kept balances (posted, held, lifetime earned), each posting's running balance and the
  account's hash chain change in the same transaction as the postings;
* accounts are locked in ascending id order, so two writers can never deadlock on them;
* a non-negative account never shows less than zero available, and no account's lifetime
  earned goes below zero (both refused with the figures, before the database would);
* one idempotency key makes at most one entry; replaying it returns the first entry.

On PostgreSQL one call of the server-side function ``ledger_post_entry`` does the locking,
the checks, the chain and the writes (:mod:`ledger._pg_posting`); SQLite runs them here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from i18n import Message, _
from ledger import _chain
from ledger._entry_checks import check_key, check_legs, check_text, entry_request_digest
from ledger._pg_posting import post_on_server
from ledger._rows import write_refusal, write_rows
from ledger._tables import account, entry, posting
from ledger._types import MAX_POINTS, AccountId, Entry, EntryId, Leg, Posting
from ledger.errors import (
    AccountNotFound,
    EntryAlreadyReversed,
    EntryNotFound,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidEntry,
    LifetimeEarnedBelowZero,
    ReversalNotAllowed,
)

REVERSAL_KIND = "reversal"
# An entry of this kind takes back points credited in error by part of an earlier entry (one
# line of a scoring sheet, say). Like a reversal, it takes those points off lifetime earned.
CORRECTION_KIND = "correction"

_THIS_ENTRY = _("This entry")


@dataclass(frozen=True, slots=True)
class _LockedAccount:
    id: int
    allow_negative: bool
    posted: int
    held: int
    lifetime_earned: int
    posting_count: int
    head_hash: str


async def post_entry(
    conn: AsyncConnection,
    *,
    idempotency_key: str,
    kind: str,
    legs: Sequence[Leg],
    actor: str,
    memo: str = "",
    effective_date: date | None = None,
    now: datetime | None = None,
) -> Entry:
    """Post a balanced entry. Replaying the same key with the same request returns the first
    entry (``replayed=True``); the same key with a different request raises
    :class:`IdempotencyConflict`."""
    check_key(idempotency_key)
    check_text(kind=kind, memo=memo, actor=actor)
    checked = check_legs(legs)
    request = entry_request_digest("post", kind, memo, effective_date, None, checked)
    # The key is looked up once, after the accounts are locked (in write_entry): by then any
    # earlier request with this key has committed, so a replay is found, never judged again.
    return await write_entry(
        conn,
        idempotency_key=idempotency_key,
        request_digest=request,
        kind=kind,
        legs=checked,
        actor=actor,
        memo=memo,
        effective_date=effective_date,
        now=now,
    )


async def reverse_entry(
    conn: AsyncConnection,
    *,
    entry_id: EntryId,
    idempotency_key: str,
    actor: str,
    memo: str,
    effective_date: date | None = None,
    now: datetime | None = None,
) -> Entry:
    """Post a new entry that undoes ``entry_id`` exactly. An entry is reversed at most once,
    a reversal is never itself reversed, and a reversal that would take a non-negative account
    below zero is refused with the shortfall."""
    check_key(idempotency_key)
    check_text(kind=REVERSAL_KIND, memo=memo, actor=actor)
    request = entry_request_digest("reverse", REVERSAL_KIND, memo, effective_date, entry_id, [])
    # Reversals of one entry queue on its row, so a second one sees the first and is refused
    # as already reversed rather than for the balance the first has already moved.
    await conn.execute(select(entry.c.id).where(entry.c.id == entry_id).with_for_update())
    if (replay := await _replay(conn, idempotency_key, request)) is not None:
        return replay
    original = await load_entry(conn, entry_id)
    if original.reverses_entry_id is not None:
        raise ReversalNotAllowed(
            _(
                "Entry {entry_id} is itself a reversal (of entry {reverses_entry_id}) "
                "and cannot be reversed. Post the original again if it was right after "
                "all.",
                entry_id=entry_id,
                reverses_entry_id=original.reverses_entry_id,
            )
        )
    existing = await conn.scalar(select(entry.c.id).where(entry.c.reverses_entry_id == entry_id))
    if existing is not None:
        raise EntryAlreadyReversed(entry_id, existing)
    legs = [Leg(p.account_id, -p.amount) for p in original.postings]
    return await write_entry(
        conn,
        idempotency_key=idempotency_key,
        request_digest=request,
        kind=REVERSAL_KIND,
        legs=legs,
        actor=actor,
        memo=memo,
        effective_date=effective_date,
        reverses=entry_id,
        now=now,
        action=_("Reversing entry {entry_id}", entry_id=entry_id),
    )


async def write_entry(
    conn: AsyncConnection,
    *,
    idempotency_key: str,
    request_digest: str,
    kind: str,
    legs: Sequence[Leg],
    actor: str,
    memo: str,
    effective_date: date | None,
    reverses: EntryId | None = None,
    held_release: Mapping[AccountId, int] | None = None,
    now: datetime | None = None,
    action: str | Message = _THIS_ENTRY,
) -> Entry:
    """Write an already-checked entry; ``held_release`` lowers held points on the same rows
    (a hold being settled). Used by :mod:`ledger._posting` and :mod:`ledger._holds` only."""
    now = now or datetime.now(UTC)
    effective = effective_date or now.date()
    held_release = held_release or {}
    is_reversal = takes_back_earnings(kind, reverses)
    content_hash = _chain.entry_hash(
        kind=kind,
        memo=memo,
        actor=actor,
        created_at=now,
        effective_date=effective,
        reverses_entry_id=reverses,
        idempotency_key=idempotency_key,
        legs=[(leg.account_id, leg.amount) for leg in legs],
    )
    if conn.dialect.name == "postgresql":
        # One round trip: the server locks, checks, chains and writes (ledger._pg_posting).
        return await _post_on_postgresql(
            conn,
            head=Entry(
                id=EntryId(0),
                kind=kind,
                memo=memo,
                actor=actor,
                created_at=now,
                effective_date=effective,
                reverses_entry_id=reverses,
                idempotency_key=idempotency_key,
                postings=(),
            ),
            legs=legs,
            request_digest=request_digest,
            entry_hash=content_hash,
            held_release=held_release,
            takes_back=is_reversal,
            action=action,
        )
    # SQLite: the Python path, each statement an in-process call under the one write lock.
    locked = await lock_accounts(conn, sorted({leg.account_id for leg in legs}))
    # A request with this key may have committed before we took the lock: answer with it,
    # never judge it again against the balances it already moved.
    if replay := await _replay(conn, idempotency_key, request_digest):
        return replay

    postings: list[Posting] = []
    posting_rows: list[dict[str, object]] = []
    account_rows: list[dict[str, object]] = []
    for leg in sorted(legs, key=lambda leg: leg.account_id):
        acc = locked[leg.account_id]
        held = acc.held - held_release.get(leg.account_id, 0)
        posted = acc.posted + leg.amount
        if not acc.allow_negative and posted - held < 0:
            raise InsufficientPoints(acc.id, acc.posted - held, -leg.amount, action=action)
        if abs(posted) > MAX_POINTS:
            raise InvalidEntry(
                _("Account {acc_id} would exceed the largest balance allowed.", acc_id=acc.id)
            )
        earned = acc.lifetime_earned + earned_delta(leg.amount, is_reversal)
        if earned < 0:  # the database refuses it too; say why rather than fail
            raise LifetimeEarnedBelowZero(
                acc.id, acc.lifetime_earned, acc.lifetime_earned - earned, action=action
            )
        seq = acc.posting_count + 1
        link = _chain.chain_link(
            acc.head_hash,
            entry_hash=content_hash,
            account_id=acc.id,
            seq=seq,
            amount=leg.amount,
            balance_after=posted,
        )
        postings.append(Posting(AccountId(acc.id), leg.amount, posted, seq))
        posting_rows.append(
            {
                "account_id": acc.id,
                "amount": leg.amount,
                "balance_after": posted,
                "account_seq": seq,
                "chain_hash": link,
            }
        )
        account_rows.append(
            {
                "b_id": acc.id,
                "b_seq": acc.posting_count,
                "posted": posted,
                "held": held,
                "lifetime_earned": earned,
                "posting_count": seq,
                "head_hash": link,
            }
        )

    head = {
        "kind": kind,
        "memo": memo,
        "actor": actor,
        "created_at": now,
        "effective_date": effective,
        "reverses_entry_id": reverses,
        "idempotency_key": idempotency_key,
        "request_digest": request_digest,
        "posting_count": len(posting_rows),
        "entry_hash": content_hash,
    }
    try:
        entry_id, moved = await write_rows(conn, head, posting_rows, account_rows)
    except IntegrityError as error:
        raise write_refusal(error, idempotency_key, reverses) from error
    if moved != len(account_rows):
        # Unreachable while the rows are locked; the sequence check is the backstop.
        raise RuntimeError("an account changed while it was locked; the entry was not posted")
    return Entry(
        id=EntryId(entry_id),
        kind=kind,
        memo=memo,
        actor=actor,
        created_at=now,
        effective_date=effective,
        reverses_entry_id=reverses,
        idempotency_key=idempotency_key,
        postings=tuple(postings),
    )


async def _post_on_postgresql(
    conn: AsyncConnection,
    *,
    head: Entry,
    legs: Sequence[Leg],
    request_digest: str,
    entry_hash: str,
    held_release: Mapping[AccountId, int],
    takes_back: bool,
    action: str | Message,
) -> Entry:
    try:
        posted = await post_on_server(
            conn,
            head=head,
            legs=legs,
            request_digest=request_digest,
            entry_hash=entry_hash,
            held_release=held_release,
            takes_back=takes_back,
            action=action,
        )
    except IntegrityError as error:
        raise write_refusal(error, head.idempotency_key, head.reverses_entry_id) from error
    if isinstance(posted, Entry):
        return posted
    if posted.digest != request_digest:
        raise IdempotencyConflict(head.idempotency_key)
    return as_replayed(await load_entry(conn, posted.entry_id))


def takes_back_earnings(kind: str, reverses: int | None) -> bool:
    """Whether an entry's debits take back earlier credits (a reversal or a correction)."""
    return reverses is not None or kind == CORRECTION_KIND


def earned_delta(amount: int, is_reversal: bool) -> int:
    """How a posting changes lifetime earned: credits count, and reversing a credit takes it
    back; spending, and reversing a spend, leave it alone."""
    if is_reversal:
        return amount if amount < 0 else 0
    return amount if amount > 0 else 0


async def lock_accounts(conn: AsyncConnection, ids: list[int]) -> dict[int, _LockedAccount]:
    rows = await conn.execute(
        select(
            account.c.id,
            account.c.allow_negative,
            account.c.posted,
            account.c.held,
            account.c.lifetime_earned,
            account.c.posting_count,
            account.c.head_hash,
        )
        .where(account.c.id.in_(ids))
        .order_by(account.c.id)
        .with_for_update()
    )
    locked = {row.id: _LockedAccount(*row) for row in rows}
    if missing := set(ids) - locked.keys():
        raise AccountNotFound(list(missing))
    return locked


async def _replay(conn: AsyncConnection, key: str, request_digest: str) -> Entry | None:
    row = (
        await conn.execute(
            select(entry.c.id, entry.c.request_digest).where(entry.c.idempotency_key == key)
        )
    ).first()
    if row is None:
        return None
    if row.request_digest != request_digest:
        raise IdempotencyConflict(key)
    found = await load_entry(conn, EntryId(row.id))
    return as_replayed(found)


def as_replayed(found: Entry) -> Entry:
    """The stored entry, flagged as the answer to a repeated request."""
    return dataclasses.replace(found, replayed=True)


async def load_entry(conn: AsyncConnection, entry_id: EntryId) -> Entry:
    head = (await conn.execute(select(entry).where(entry.c.id == entry_id))).first()
    if head is None:
        raise EntryNotFound(entry_id)
    lines = await conn.execute(
        select(
            posting.c.account_id, posting.c.amount, posting.c.balance_after, posting.c.account_seq
        )
        .where(posting.c.entry_id == entry_id)
        .order_by(posting.c.account_id)
    )
    return Entry(
        id=EntryId(head.id),
        kind=head.kind,
        memo=head.memo,
        actor=head.actor,
        created_at=head.created_at,
        effective_date=head.effective_date,
        reverses_entry_id=head.reverses_entry_id,
        idempotency_key=head.idempotency_key,
        postings=tuple(Posting(AccountId(p[0]), p[1], p[2], p[3]) for p in lines),
    )
