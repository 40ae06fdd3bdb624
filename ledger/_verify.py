"""Recompute the books from their history and report every place they disagree.

Checked, all inside one read transaction so the books are seen at one moment:

* every entry balances, has the postings it says it has, and its content hash matches;
* every account's postings run 1, 2, 3, ... with correct running balances and an unbroken hash
  chain, and the kept balances, lifetime earned and chain head on the account row match them;
* held points equal the open holds; no non-negative account is below zero;
* all balances sum to zero.

The books digest (a hash of every account's chain head) can be written down by an auditor: if
it is the same tomorrow with no new postings, nothing was rewritten.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from i18n import N_, Message, _
from ledger import _chain
from ledger._posting import earned_delta, takes_back_earnings
from ledger._tables import GENESIS_HASH, account, entry, hold, posting
from ledger._types import HoldStatus

_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class Problem:
    entry_id: int | None
    account_id: int | None
    message: str | Message

    def __str__(self) -> str:
        return str(self.said())

    def said(self) -> Message:
        """The problem with where it is, as one message (``str()`` is its English)."""
        if self.entry_id is not None and self.account_id is not None:
            return _(
                "entry {entry_id}, account {account_id}: {problem}",
                entry_id=self.entry_id,
                account_id=self.account_id,
                problem=self.message,
            )
        if self.entry_id is not None:
            return _("entry {entry_id}: {problem}", entry_id=self.entry_id, problem=self.message)
        if self.account_id is not None:
            return _(
                "account {account_id}: {problem}", account_id=self.account_id, problem=self.message
            )
        return _("books: {problem}", problem=self.message)


@dataclass
class VerifyReport:
    entries: int = 0
    postings: int = 0
    accounts: int = 0
    holds: int = 0
    digest: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken_entry(self) -> int | None:
        ids = [p.entry_id for p in self.problems if p.entry_id is not None]
        return min(ids) if ids else None


async def verify_books(conn: AsyncConnection) -> VerifyReport:
    report = VerifyReport()
    await _check_entries(conn, report)
    await _check_chains(conn, report)
    await _check_holds(conn, report)
    return report


async def _check_entries(conn: AsyncConnection, report: VerifyReport) -> None:
    heads = {
        row.id: row
        for row in await conn.execute(
            select(
                entry.c.id,
                entry.c.kind,
                entry.c.memo,
                entry.c.actor,
                entry.c.created_at,
                entry.c.effective_date,
                entry.c.reverses_entry_id,
                entry.c.idempotency_key,
                entry.c.posting_count,
                entry.c.entry_hash,
            )
        )
    }
    legs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    result = await conn.stream(
        select(posting.c.entry_id, posting.c.account_id, posting.c.amount).order_by(posting.c.id)
    )
    async for part in result.partitions(_CHUNK):
        for entry_id, account_id, amount in part:
            legs[entry_id].append((account_id, amount))
    for orphan in sorted(legs.keys() - heads.keys()):
        report.problems.append(Problem(orphan, None, _("postings belong to no entry")))
    for entry_id in sorted(heads):
        head = heads[entry_id]
        mine = legs.get(entry_id, [])
        report.entries += 1
        if len(mine) != head.posting_count:
            report.problems.append(
                Problem(
                    entry_id,
                    None,
                    _(
                        "has {count} postings, records {recorded}",
                        count=len(mine),
                        recorded=head.posting_count,
                    ),
                )
            )
        if (total := sum(a for _, a in mine)) != 0:
            report.problems.append(
                Problem(entry_id, None, _("postings sum to {total}, not 0", total=total))
            )
        recomputed = _chain.entry_hash(
            kind=head.kind,
            memo=head.memo,
            actor=head.actor,
            created_at=head.created_at,
            effective_date=head.effective_date,
            reverses_entry_id=head.reverses_entry_id,
            idempotency_key=head.idempotency_key,
            legs=mine,
        )
        if recomputed != head.entry_hash:
            report.problems.append(Problem(entry_id, None, _("content does not match its hash")))


async def _check_chains(conn: AsyncConnection, report: VerifyReport) -> None:
    accounts = {row.id: row for row in await conn.execute(select(account))}
    hashes = {
        row.id: (row.entry_hash, takes_back_earnings(row.kind, row.reverses_entry_id))
        for row in await conn.execute(
            select(entry.c.id, entry.c.entry_hash, entry.c.kind, entry.c.reverses_entry_id)
        )
    }
    state: dict[int, tuple[int, str, int, int]] = {}  # seq, head, balance, earned
    result = await conn.stream(
        select(
            posting.c.account_id,
            posting.c.account_seq,
            posting.c.entry_id,
            posting.c.amount,
            posting.c.balance_after,
            posting.c.chain_hash,
        ).order_by(posting.c.account_id, posting.c.account_seq)
    )
    async for part in result.partitions(_CHUNK):
        for account_id, seq, entry_id, amount, balance_after, link in part:
            report.postings += 1
            last_seq, head, balance, earned = state.get(account_id, (0, GENESIS_HASH, 0, 0))
            if seq != last_seq + 1:
                report.problems.append(
                    Problem(
                        entry_id,
                        account_id,
                        _("posting {seq} follows posting {last_seq}", seq=seq, last_seq=last_seq),
                    )
                )
            balance += amount
            entry_hash, is_reversal = hashes.get(entry_id, ("", False))
            earned += earned_delta(amount, is_reversal)
            if balance_after != balance:
                report.problems.append(
                    Problem(
                        entry_id,
                        account_id,
                        _(
                            "running balance {balance_after}, should be {balance}",
                            balance_after=balance_after,
                            balance=balance,
                        ),
                    )
                )
            expected = _chain.chain_link(
                head,
                entry_hash=entry_hash,
                account_id=account_id,
                seq=seq,
                amount=amount,
                balance_after=balance_after,
            )
            if link != expected:
                report.problems.append(Problem(entry_id, account_id, _("hash chain is broken")))
            state[account_id] = (seq, link, balance, earned)

    digest = hashlib.sha256()
    total = 0
    for account_id in sorted(accounts):
        row = accounts[account_id]
        report.accounts += 1
        seq, head, balance, earned = state.get(account_id, (0, GENESIS_HASH, 0, 0))
        total += row.posted
        digest.update(f"{account_id}:{row.posting_count}:{row.head_hash};".encode())
        checks = [
            (row.posted, balance, N_("kept posted balance {kept}, postings say {recomputed}")),
            (row.posting_count, seq, N_("kept posting count {kept}, postings say {recomputed}")),
            (
                row.lifetime_earned,
                earned,
                N_("kept lifetime earned {kept}, postings say {recomputed}"),
            ),
        ]
        for kept, recomputed, said in checks:
            if kept != recomputed:
                report.problems.append(
                    Problem(
                        None, account_id, Message(said, {"kept": kept, "recomputed": recomputed})
                    )
                )
        if row.head_hash != head:
            report.problems.append(
                Problem(None, account_id, _("chain head does not match postings"))
            )
        if not row.allow_negative and row.posted - row.held < 0:
            report.problems.append(Problem(None, account_id, _("available balance below zero")))
    for orphan in sorted(state.keys() - accounts.keys()):
        report.problems.append(
            Problem(None, orphan, _("postings to an account that does not exist"))
        )
    if total != 0:
        report.problems.append(
            Problem(None, None, _("balances sum to {total}, not 0", total=total))
        )
    report.digest = digest.hexdigest()


async def _check_holds(conn: AsyncConnection, report: VerifyReport) -> None:
    open_rows = await conn.execute(
        select(hold.c.account_id, func.sum(hold.c.amount))
        .where(hold.c.status == HoldStatus.HELD)
        .group_by(hold.c.account_id)
    )
    open_holds = {account_id: int(total) for account_id, total in open_rows}
    report.holds = int(await conn.scalar(select(func.count()).select_from(hold)) or 0)
    for account_id, held in await conn.execute(select(account.c.id, account.c.held)):
        if held != int(open_holds.get(account_id, 0)):
            report.problems.append(
                Problem(
                    None,
                    account_id,
                    _(
                        "holds {held} points, open holds add up to {open_held}",
                        held=held,
                        open_held=open_holds.get(account_id, 0),
                    ),
                )
            )
