"""The scratch books the ledger benchmark runs on, and the check that they still balance.

The rule it keeps: everything a timed figure reads or writes was posted through the engine
(``ledger.post_entry``), so the figures measure the books the service keeps. Two shortcuts
only, both through the ledger's public bulk functions: the passbook rows are opened many to a
statement (``ledger.open_accounts``, the same rows ``open_account`` writes), and the big
account of the read-latency figure gets its postings by SQL (``ledger.load_unchained_entries``:
balances, sequence and running balances agree, the hash chain is not computed). At the end
the kept balances of all accounts must sum to zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
import ledger
from bench._report import Out

__all__ = [
    "ACTOR",
    "SMALL_ACCOUNT_POSTINGS",
    "Books",
    "bulk_load",
    "check_books",
    "post",
    "seed",
]

SEED_POINTS = 1_000_000
FUNDING_ENTRY_POSTINGS = 500
SMALL_ACCOUNT_POSTINGS = 1_000
BULK_CHUNK = 100_000
ACTOR = "bench"
PASSBOOK_KIND = "passbook"


@dataclass
class Books:
    """The scratch books: an issuance account, funded passbooks and the 1k-posting one."""

    engine: AsyncEngine
    issuance: ledger.AccountId
    passbooks: list[ledger.AccountId]
    small: ledger.AccountId


async def seed(engine: AsyncEngine, accounts: int, out: Out) -> Books:
    """``accounts`` passbooks funded by one issuance account, and one passbook with
    :data:`SMALL_ACCOUNT_POSTINGS` postings, all posted through the engine except the opening
    of the passbook rows (in bulk)."""
    out(f"· seeding {accounts:,} passbooks with {SEED_POINTS:,} points each")
    now = datetime.now(UTC)

    async def open_books(
        conn: AsyncConnection,
    ) -> tuple[ledger.AccountId, ledger.AccountId, list[ledger.AccountId]]:
        issuance = await ledger.open_account(
            conn, kind="issuance", owner_ref="bench", allow_negative=True
        )
        small = await ledger.open_account(conn, kind=PASSBOOK_KIND, owner_ref="bench-small")
        passbooks = await ledger.open_accounts(
            conn, kind=PASSBOOK_KIND, owner_refs=[f"bench-{n}" for n in range(accounts)], now=now
        )
        return issuance, small, passbooks

    issuance, small, passbooks = await db.run_in_transaction(engine, open_books)
    per_entry = FUNDING_ENTRY_POSTINGS - 1
    for first in range(0, len(passbooks), per_entry):
        chunk = passbooks[first : first + per_entry]
        legs = [ledger.Leg(issuance, -SEED_POINTS * len(chunk))]
        legs += [ledger.Leg(p, SEED_POINTS) for p in chunk]
        await post(engine, f"bench-fund-{first}", "bench-funding", legs)
    out(f"· posting {SMALL_ACCOUNT_POSTINGS:,} entries to the 1k-posting account")
    for n in range(SMALL_ACCOUNT_POSTINGS):
        legs = [ledger.Leg(issuance, -1), ledger.Leg(small, 1)]
        await post(engine, f"bench-small-{n}", "bench-award", legs)
    return Books(engine, issuance, passbooks, small)


async def post(engine: AsyncEngine, key: str, kind: str, legs: Sequence[ledger.Leg]) -> None:
    """One entry in one write transaction, retried as the service retries a use case."""

    async def use_case(conn: AsyncConnection) -> None:
        await ledger.post_entry(conn, idempotency_key=key, kind=kind, legs=legs, actor=ACTOR)

    await db.run_in_transaction(engine, use_case)


async def bulk_load(engine: AsyncEngine, postings: int) -> ledger.AccountId:
    """A fresh account with ``postings`` postings of +1, each in its own two-posting entry
    against a fresh allow-negative source account, loaded by SQL in chunks of
    :data:`BULK_CHUNK` entries, a transaction each.

    Entries, postings (sequence, running balance) and both account rows agree, but the hash
    chain is not computed: ``verify_books`` on the scratch database would report it.
    """

    async def open_pair(conn: AsyncConnection) -> tuple[ledger.AccountId, ledger.AccountId]:
        big = await ledger.open_account(conn, kind=PASSBOOK_KIND, owner_ref="bench-big")
        source = await ledger.open_account(
            conn, kind="issuance", owner_ref="bench-bulk-source", allow_negative=True
        )
        return big, source

    big, source = await db.run_in_transaction(engine, open_pair)
    sqlite = db.dialect_of(engine) is db.Dialect.SQLITE
    now = datetime.now(UTC)
    prefix = f"bench-bulk-{uuid.uuid4().hex[:8]}-"
    for lo in range(1, postings + 1, BULK_CHUNK):
        hi = min(postings, lo + BULK_CHUNK - 1)
        async with db.transaction(engine) as conn:
            if not sqlite:
                await _skip_foreign_key_checks(conn)
            await ledger.load_unchained_entries(
                conn,
                source=source,
                target=big,
                entries=hi - lo + 1,
                kind="bench-bulk",
                actor=ACTOR,
                key_prefix=prefix,
                now=now,
            )
    if not sqlite:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE ledger_account, ledger_entry, ledger_posting")
            await conn.commit()
    return big


async def _skip_foreign_key_checks(conn: AsyncConnection) -> bool:
    """On PostgreSQL, skip the per-row foreign-key triggers for the rest of this transaction
    (the bulk rows are consistent by construction); it more than halves the load time. Needs
    superuser or SET on session_replication_role; without it the load just takes longer."""
    try:
        async with conn.begin_nested():
            await conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except DBAPIError:
        return False
    return True


async def check_books(engine: AsyncEngine) -> None:
    """Every point came from somewhere: the kept balances of all accounts sum to zero."""
    async with db.read_transaction(engine) as conn:
        totals = await ledger.trial_balance(conn)
    if not totals.balanced:
        raise RuntimeError(
            f"the scratch books do not balance: the balances sum to {totals.total_posted}"
        )
