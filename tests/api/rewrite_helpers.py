"""Rewriting history the way someone with write access to the database could: change an old
posting and recompute every hash after it consistently, so plain ``verify`` sees nothing.

The immutability triggers (migration 0001: ``trg_ledger_{entry,posting}_no_update`` on SQLite,
``trg_ledger_{entry,posting}_guard`` on PostgreSQL) are switched off inside the one
transaction that rewrites, and switched on again before it commits."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
from ledger._chain import chain_link, entry_hash
from ledger._posting import earned_delta, takes_back_earnings
from ledger._tables import GENESIS_HASH, entry

IMMUTABLE = ("ledger_entry", "ledger_posting")
_FOUNDATION = importlib.import_module("migrations.versions.0001_foundation_ledger_registry_tokens")


async def _triggers(conn: AsyncConnection, dialect: db.Dialect, *, on: bool) -> None:
    for table in IMMUTABLE:
        if dialect is db.Dialect.POSTGRESQL:
            verb = "ENABLE" if on else "DISABLE"
            await conn.execute(text(f"ALTER TABLE {table} {verb} TRIGGER trg_{table}_guard"))
        elif on:
            created = f"CREATE TRIGGER trg_{table}_no_update "
            (statement,) = [s for s in _FOUNDATION.SQLITE_TRIGGERS if s.startswith(created)]
            await conn.execute(text(statement))
        else:
            await conn.execute(text(f"DROP TRIGGER trg_{table}_no_update"))


async def _rechain(conn: AsyncConnection, account_id: int) -> None:
    """Recompute an account's running balances, chain hashes and kept figures."""
    rows = await conn.execute(
        text(
            "SELECT p.id, p.amount, p.account_seq, e.entry_hash, e.kind, e.reverses_entry_id "
            "FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id "
            "WHERE p.account_id = :a ORDER BY p.account_seq"
        ),
        {"a": account_id},
    )
    head, balance, earned = GENESIS_HASH, 0, 0
    for row in rows.all():
        balance += row.amount
        earned += earned_delta(row.amount, takes_back_earnings(row.kind, row.reverses_entry_id))
        head = chain_link(
            head, entry_hash=row.entry_hash, account_id=account_id, seq=row.account_seq,
            amount=row.amount, balance_after=balance,
        )  # fmt: skip
        await conn.execute(
            text("UPDATE ledger_posting SET balance_after = :b, chain_hash = :h WHERE id = :id"),
            {"b": balance, "h": head, "id": row.id},
        )
    await conn.execute(
        text(
            "UPDATE ledger_account SET posted = :b, lifetime_earned = :e, head_hash = :h "
            "WHERE id = :a"
        ),
        {"b": balance, "e": earned, "h": head, "a": account_id},
    )


async def rewrite_history(
    engine: AsyncEngine, dialect: db.Dialect, entry_id: int, account_id: int, points: int
) -> list[int]:
    """Give ``account_id`` ``points`` more in old entry ``entry_id`` (taken from the entry's
    other leg), then recompute the entry's hash and both accounts' chains so that the books
    verify again. Returns the ids of the accounts rewritten."""

    async def use_case(conn: AsyncConnection) -> list[int]:
        await _triggers(conn, dialect, on=False)
        legs = (
            await conn.execute(
                text("SELECT id, account_id, amount FROM ledger_posting WHERE entry_id = :e"),
                {"e": entry_id},
            )
        ).all()
        assert len(legs) == 2, legs
        (mine,) = [leg for leg in legs if leg.account_id == account_id]
        (other,) = [leg for leg in legs if leg.account_id != account_id]
        for leg, change in ((mine, points), (other, -points)):
            await conn.execute(
                text("UPDATE ledger_posting SET amount = amount + :d WHERE id = :id"),
                {"d": change, "id": leg.id},
            )
        head: Any = (await conn.execute(select(entry).where(entry.c.id == entry_id))).one()
        new_hash = entry_hash(
            kind=head.kind, memo=head.memo, actor=head.actor, created_at=head.created_at,
            effective_date=head.effective_date, reverses_entry_id=head.reverses_entry_id,
            idempotency_key=head.idempotency_key,
            legs=[(mine.account_id, mine.amount + points), (other.account_id, other.amount - points)],
        )  # fmt: skip
        await conn.execute(
            text("UPDATE ledger_entry SET entry_hash = :h WHERE id = :e"),
            {"h": new_hash, "e": entry_id},
        )
        for rewritten in (mine.account_id, other.account_id):
            await _rechain(conn, rewritten)
        await _triggers(conn, dialect, on=True)
        return sorted([mine.account_id, other.account_id])

    return await db.run_in_transaction(engine, use_case)
