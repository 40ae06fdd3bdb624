"""Posting an entry that is a whole use case by itself, with BEGIN and COMMIT folded away.

Invariant: the entry is its own transaction, all or nothing, with every rule of
:func:`ledger.post_entry` kept. On PostgreSQL posting is one statement (``ledger_post_entry``,
:mod:`ledger._pg_posting`), and one statement run in autocommit is one transaction: so the
connection skips BEGIN and COMMIT, two of the three round trips a transfer would cost. On
SQLite it is an ordinary write transaction. Nothing else may run on that connection: a use
case that writes anything beside the entry uses :func:`db.run_in_transaction` and
:func:`ledger.post_entry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
from ledger._posting import post_entry
from ledger._types import Entry, Leg


async def post_entry_alone(
    engine: AsyncEngine,
    *,
    idempotency_key: str,
    kind: str,
    legs: Sequence[Leg],
    actor: str,
    memo: str = "",
    effective_date: date | None = None,
    now: datetime | None = None,
    attempts: int = 5,
) -> Entry:
    """:func:`ledger.post_entry` as a use case of its own, retried like one (a transient
    error or a race on the key runs it again; the key makes a retry replay, never post
    twice)."""

    async def use_case(conn: AsyncConnection) -> Entry:
        return await post_entry(
            conn,
            idempotency_key=idempotency_key,
            kind=kind,
            legs=legs,
            actor=actor,
            memo=memo,
            effective_date=effective_date,
            now=now,
        )

    if db.dialect_of(engine) is not db.Dialect.POSTGRESQL:
        return await db.run_in_transaction(engine, use_case, attempts=attempts)
    for attempt in range(1, attempts + 1):
        try:
            async with engine.connect() as conn:
                one_statement = await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await use_case(one_statement)
        except Exception as error:
            retry = db.is_transient(error) or isinstance(error, db.Retryable)
            if attempt == attempts or not retry:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
