"""Statements and reports read from the books.

A statement reads like a bank passbook: date, what for, +/-, running balance. It pages by the
account's posting sequence (a cursor), never by offset, so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger._tables import account, entry, posting
from ledger._types import AccountId, EntryId
from ledger.errors import AccountNotFound

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class StatementLine:
    seq: int
    entry_id: EntryId
    effective_date: date
    created_at: datetime
    kind: str
    memo: str
    amount: int
    balance_after: int
    reverses_entry_id: EntryId | None


@dataclass(frozen=True, slots=True)
class StatementPage:
    """Lines in the order they were posted; ``earlier`` / ``later`` are cursors for the
    neighbouring pages, ``None`` at either end of the book."""

    account_id: AccountId
    lines: tuple[StatementLine, ...]
    earlier: int | None
    later: int | None


async def statement(
    conn: AsyncConnection,
    account_id: AccountId,
    *,
    limit: int = 50,
    before: int | None = None,
    after: int | None = None,
) -> StatementPage:
    """One page of ``account_id``'s postings. With no cursor, the latest page (what a person
    at the counter wants to see); ``before=seq`` pages back, ``after=seq`` pages forward."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"page size must be 1 to {MAX_PAGE}")
    if before is not None and after is not None:
        raise ValueError("give at most one of before and after")
    count = await conn.scalar(select(account.c.posting_count).where(account.c.id == account_id))
    if count is None:
        raise AccountNotFound([account_id])
    query = (
        select(
            posting.c.account_seq,
            posting.c.entry_id,
            entry.c.effective_date,
            entry.c.created_at,
            entry.c.kind,
            entry.c.memo,
            posting.c.amount,
            posting.c.balance_after,
            entry.c.reverses_entry_id,
        )
        .join(entry, entry.c.id == posting.c.entry_id)
        .where(posting.c.account_id == account_id)
    )
    if after is not None:
        query = query.where(posting.c.account_seq > after).order_by(posting.c.account_seq)
    else:
        upper = before if before is not None else count + 1
        query = query.where(posting.c.account_seq < upper).order_by(posting.c.account_seq.desc())
    rows = (await conn.execute(query.limit(limit))).all()
    lines = sorted(
        (
            StatementLine(
                seq=r.account_seq,
                entry_id=EntryId(r.entry_id),
                effective_date=r.effective_date,
                created_at=r.created_at,
                kind=r.kind,
                memo=r.memo,
                amount=r.amount,
                balance_after=r.balance_after,
                reverses_entry_id=r.reverses_entry_id,
            )
            for r in rows
        ),
        key=lambda line: line.seq,
    )
    first = lines[0].seq if lines else None
    last = lines[-1].seq if lines else None
    return StatementPage(
        account_id=account_id,
        lines=tuple(lines),
        earlier=first if first is not None and first > 1 else None,
        later=last if last is not None and last < count else None,
    )


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    kind: str
    accounts: int
    posted: int
    held: int


@dataclass(frozen=True, slots=True)
class TrialBalance:
    rows: tuple[TrialBalanceRow, ...]
    total_posted: int
    entries: int

    @property
    def balanced(self) -> bool:
        return self.total_posted == 0


async def trial_balance(conn: AsyncConnection) -> TrialBalance:
    """Totals by account kind; in balanced books they sum to zero."""
    rows = await conn.execute(
        select(
            account.c.kind,
            func.count(),
            func.coalesce(func.sum(account.c.posted), 0),
            func.coalesce(func.sum(account.c.held), 0),
        )
        .group_by(account.c.kind)
        .order_by(account.c.kind)
    )
    table = tuple(TrialBalanceRow(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows)
    entries = await conn.scalar(select(func.count()).select_from(entry))
    return TrialBalance(table, sum(r.posted for r in table), int(entries or 0))


async def first_entries_of_kind(
    conn: AsyncConnection, account_ids: list[AccountId], kind: str
) -> dict[AccountId, EntryId]:
    """For each of ``account_ids`` that has one, the first standing (not reversed) entry of
    ``kind`` posting to it: which passbooks already hold an opening balance, say."""
    if not account_ids:
        return {}
    reversal = entry.alias("reversal")
    rows = await conn.execute(
        select(posting.c.account_id, func.min(entry.c.id))
        .join(entry, entry.c.id == posting.c.entry_id)
        .outerjoin(reversal, reversal.c.reverses_entry_id == entry.c.id)
        .where(posting.c.account_id.in_(account_ids), entry.c.kind == kind, reversal.c.id.is_(None))
        .group_by(posting.c.account_id)
    )
    return {AccountId(account): EntryId(first) for account, first in rows}
