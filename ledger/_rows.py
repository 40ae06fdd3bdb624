"""Writing one entry's rows: the entry, its postings and its accounts' new balances, together.

Invariant: the rows are written all at once or not at all, and an account's balances are
written only if its posting count is still the one read under its lock (the guard shows in how
many accounts moved).
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from db import constraint_name, metadata
from ledger._tables import account, entry, posting
from ledger._types import EntryId
from ledger.errors import EntryAlreadyReversed, IdempotencyRace


async def write_rows(
    conn: AsyncConnection,
    head: dict[str, object],
    posting_rows: list[dict[str, object]],
    account_rows: list[dict[str, object]],
) -> tuple[int, int]:
    """Insert the entry and its postings and write the accounts' new balances; returns the
    entry's id and how many accounts were written. SQLite only: PostgreSQL posts through
    ``ledger_post_entry`` (:mod:`ledger._pg_posting`)."""
    # In-process statements (SQLite), each as cheap as a function call.
    entry_id = await conn.scalar(entry.insert().values(**head).returning(entry.c.id))
    assert entry_id is not None
    await conn.execute(posting.insert(), [{**row, "entry_id": entry_id} for row in posting_rows])
    result = await conn.execute(
        update(account)
        .where(account.c.id == bindparam("b_id"), account.c.posting_count == bindparam("b_seq"))
        .values(
            posted=bindparam("posted"),
            held=bindparam("held"),
            lifetime_earned=bindparam("lifetime_earned"),
            posting_count=bindparam("posting_count"),
            head_hash=bindparam("head_hash"),
        ),
        account_rows,
    )
    return int(entry_id), result.rowcount


def write_refusal(error: IntegrityError, key: str, reverses: EntryId | None) -> Exception:
    """What a UNIQUE violation on writing an entry means: a concurrent request with the key
    committed first (retry, and find it), or the entry was reversed meanwhile."""
    name = constraint_name(error, metadata)
    if name == "uq_ledger_entry_idempotency_key":
        return IdempotencyRace(key)
    if name == "uq_ledger_entry_reverses_entry_id" and reverses is not None:
        return EntryAlreadyReversed(reverses, None)
    return error
