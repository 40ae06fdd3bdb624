"""Writing one entry's rows: the entry, its postings and its accounts' new balances, together.

Invariant: the rows are written all at once or not at all, and an account's balances are
written only if its posting count is still the one read under its lock (the guard shows in how
many accounts moved); a taken idempotency key writes nothing.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger._tables import account, entry, posting

# PostgreSQL writes an entry, its postings and its accounts' new balances in one statement of
# fixed text: arrays carry the rows, so it is compiled and prepared once whatever the entry's
# size, and it costs one round trip. The UPDATE's guard (posting count read under the lock)
# shows in the count of accounts it moved. If the idempotency key is taken, nothing is written
# and the entry id comes back NULL.
_PG_WRITE_ENTRY = text(
    """WITH new_entry AS (
           INSERT INTO ledger_entry (kind, memo, actor, created_at, effective_date,
               reverses_entry_id, idempotency_key, request_digest, posting_count, entry_hash)
           VALUES (:kind, :memo, :actor, :created_at, :effective_date, :reverses_entry_id,
               :idempotency_key, :request_digest, :posting_count, :entry_hash)
           ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING id
       ), new_postings AS (
           INSERT INTO ledger_posting
               (entry_id, account_id, amount, balance_after, account_seq, chain_hash)
           SELECT new_entry.id, p.* FROM new_entry, unnest(
               CAST(:p_account_id AS BIGINT[]), CAST(:p_amount AS BIGINT[]),
               CAST(:p_balance_after AS BIGINT[]), CAST(:p_account_seq AS BIGINT[]),
               CAST(:p_chain_hash AS VARCHAR[])) AS p
       ), moved AS (
           UPDATE ledger_account AS a
           SET posted = c.posted, held = c.held, lifetime_earned = c.lifetime_earned,
               posting_count = c.posting_count, head_hash = c.head_hash
           FROM new_entry, unnest(
               CAST(:a_b_id AS BIGINT[]), CAST(:a_b_seq AS BIGINT[]),
               CAST(:a_posted AS BIGINT[]), CAST(:a_held AS BIGINT[]),
               CAST(:a_lifetime_earned AS BIGINT[]), CAST(:a_posting_count AS BIGINT[]),
               CAST(:a_head_hash AS VARCHAR[]))
               AS c (b_id, b_seq, posted, held, lifetime_earned, posting_count, head_hash)
           WHERE a.id = c.b_id AND a.posting_count = c.b_seq
           RETURNING a.id
       )
       SELECT (SELECT id FROM new_entry), (SELECT count(*) FROM moved)"""
)


def _columns(prefix: str, rows: list[dict[str, object]]) -> dict[str, list[object]]:
    return {prefix + name: [row[name] for row in rows] for name in rows[0]}


async def write_rows(
    conn: AsyncConnection,
    head: dict[str, object],
    posting_rows: list[dict[str, object]],
    account_rows: list[dict[str, object]],
) -> tuple[int | None, int]:
    """Insert the entry and its postings and write the accounts' new balances; returns the
    entry's id (None if its key was taken meanwhile) and how many accounts were written."""
    if conn.dialect.name == "postgresql":
        params = {**head, **_columns("p_", posting_rows), **_columns("a_", account_rows)}
        entry_id, moved = (await conn.execute(_PG_WRITE_ENTRY, params)).one()
        return (None if entry_id is None else int(entry_id)), int(moved)
    # SQLite: in-process statements, each as cheap as a function call.
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
