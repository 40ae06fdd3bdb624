"""Shared helpers for the ledger tests: a small set of books, and use cases in one line each.

Every write goes through :func:`db.run_in_transaction`, which retries every retryable race,
exactly as a real use case does, so the tests exercise the transaction boundary too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
import ledger
from ledger import AccountId, Balance, Entry, EntryId, Hold, HoldId, HoldStatus, Leg
from ledger._tables import entry, hold, posting

T = TypeVar("T")


async def run(
    engine: AsyncEngine, use_case: Callable[[AsyncConnection], Awaitable[T]], *, attempts: int = 5
) -> T:
    """One use case, one write transaction, retried as the application retries it."""
    return await db.run_in_transaction(engine, use_case, attempts=attempts)


async def read(engine: AsyncEngine, query: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async with db.read_transaction(engine) as conn:
        return await query(conn)


def new_key(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def later(hours: float = 24 * 7) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


@dataclass(frozen=True, slots=True)
class Counts:
    entries: int
    postings: int
    holds: int


@dataclass(frozen=True, slots=True)
class Books:
    """A grid's issuance account (may go negative), three passbooks and a merchant."""

    engine: AsyncEngine
    issuance: AccountId
    alice: AccountId
    bob: AccountId
    carol: AccountId
    merchant: AccountId
    attempts: int = 5
    """How often a use case runs before its error is raised; 1 shows every transient error
    (a deadlock, a busy database) instead of retrying it away."""

    @property
    def passbooks(self) -> tuple[AccountId, ...]:
        return (self.alice, self.bob, self.carol)

    async def open(self, kind: str, owner_ref: str, *, allow_negative: bool = False) -> AccountId:
        async def use_case(conn: AsyncConnection) -> AccountId:
            return await ledger.open_account(
                conn, kind=kind, owner_ref=owner_ref, allow_negative=allow_negative
            )

        return await run(self.engine, use_case, attempts=self.attempts)

    async def post(
        self,
        legs: Sequence[tuple[AccountId, int]],
        *,
        key: str | None = None,
        kind: str = "award",
        memo: str = "",
        actor: str = "council:1",
        effective_date: date | None = None,
        now: datetime | None = None,
    ) -> Entry:
        idempotency_key = key if key is not None else new_key()

        async def use_case(conn: AsyncConnection) -> Entry:
            return await ledger.post_entry(
                conn,
                idempotency_key=idempotency_key,
                kind=kind,
                legs=[Leg(AccountId(a), n) for a, n in legs],
                actor=actor,
                memo=memo,
                effective_date=effective_date,
                now=now,
            )

        return await run(self.engine, use_case, attempts=self.attempts)

    async def award(
        self, account_id: AccountId, points: int, *, key: str | None = None, memo: str = ""
    ) -> Entry:
        """Points into a passbook from the grid's issuance account."""
        return await self.post([(self.issuance, -points), (account_id, points)], key=key, memo=memo)

    async def transfer(
        self, source: AccountId, target: AccountId, points: int, *, key: str | None = None
    ) -> Entry:
        return await self.post([(source, -points), (target, points)], key=key, kind="spend")

    async def reverse(
        self, entry_id: EntryId, *, key: str | None = None, memo: str = "correction"
    ) -> Entry:
        idempotency_key = key if key is not None else new_key("rev")

        async def use_case(conn: AsyncConnection) -> Entry:
            return await ledger.reverse_entry(
                conn,
                entry_id=entry_id,
                idempotency_key=idempotency_key,
                actor="council:2",
                memo=memo,
            )

        return await run(self.engine, use_case, attempts=self.attempts)

    async def place_hold(
        self,
        account_id: AccountId,
        points: int,
        *,
        key: str | None = None,
        expires_at: datetime | None = None,
        now: datetime | None = None,
        memo: str = "voucher",
    ) -> Hold:
        idempotency_key = key if key is not None else new_key("hold")
        expiry = expires_at or later()

        async def use_case(conn: AsyncConnection) -> Hold:
            return await ledger.place_hold(
                conn,
                account_id=account_id,
                amount=points,
                expires_at=expiry,
                idempotency_key=idempotency_key,
                actor="system",
                memo=memo,
                now=now,
            )

        return await run(self.engine, use_case, attempts=self.attempts)

    async def settle(
        self,
        hold_id: HoldId,
        *,
        to: AccountId | None = None,
        amount: int | None = None,
        key: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Hold, Entry]:
        idempotency_key = key if key is not None else new_key("settle")
        target = to if to is not None else self.merchant

        async def use_case(conn: AsyncConnection) -> tuple[Hold, Entry]:
            return await ledger.settle_hold(
                conn,
                hold_id=hold_id,
                to_account_id=target,
                idempotency_key=idempotency_key,
                actor="merchant:1",
                amount=amount,
                now=now,
            )

        return await run(self.engine, use_case, attempts=self.attempts)

    async def release(
        self,
        hold_id: HoldId,
        *,
        key: str | None = None,
        status: HoldStatus = HoldStatus.RELEASED,
    ) -> Hold:
        idempotency_key = key if key is not None else new_key("release")

        async def use_case(conn: AsyncConnection) -> Hold:
            return await ledger.release_hold(
                conn, hold_id=hold_id, idempotency_key=idempotency_key, status=status
            )

        return await run(self.engine, use_case, attempts=self.attempts)

    async def expire(self, *, now: datetime | None = None) -> list[HoldId]:
        async def use_case(conn: AsyncConnection) -> list[HoldId]:
            return await ledger.expire_holds(conn, now=now)

        return await run(self.engine, use_case, attempts=self.attempts)

    async def hold(self, hold_id: HoldId) -> Hold:
        async def query(conn: AsyncConnection) -> Hold:
            return await ledger.get_hold(conn, hold_id)

        return await read(self.engine, query)

    async def entry(self, entry_id: EntryId) -> Entry:
        async def query(conn: AsyncConnection) -> Entry:
            return await ledger.load_entry(conn, entry_id)

        return await read(self.engine, query)

    async def balance(self, account_id: AccountId) -> Balance:
        async def query(conn: AsyncConnection) -> Balance:
            return await ledger.get_balance(conn, account_id)

        return await read(self.engine, query)

    async def balances(self) -> dict[AccountId, Balance]:
        """Every account's kept balances, for before/after comparisons."""
        ids = [self.issuance, *self.passbooks, self.merchant]

        async def query(conn: AsyncConnection) -> dict[AccountId, Balance]:
            return await ledger.get_balances(conn, ids)

        return await read(self.engine, query)

    async def counts(self) -> Counts:
        async def query(conn: AsyncConnection) -> Counts:
            async def count(table: object) -> int:
                return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]

            return Counts(await count(entry), await count(posting), await count(hold))

        return await read(self.engine, query)

    async def verify(self) -> ledger.VerifyReport:
        return await read(self.engine, ledger.verify_books)

    async def snapshot(self) -> tuple[Counts, dict[AccountId, Balance]]:
        """What a refused request must leave exactly as it was."""
        return await self.counts(), await self.balances()


@pytest.fixture
async def books(engine: AsyncEngine) -> Books:
    async def use_case(conn: AsyncConnection) -> Books:
        async def passbook(owner: str) -> AccountId:
            return await ledger.open_account(conn, kind="passbook", owner_ref=owner)

        return Books(
            engine=engine,
            issuance=await ledger.open_account(
                conn, kind="issuance", owner_ref="grid:yanzishan-1", allow_negative=True
            ),
            alice=await passbook("volunteer:alice"),
            bob=await passbook("volunteer:bob"),
            carol=await passbook("volunteer:carol"),
            merchant=await ledger.open_account(
                conn, kind="merchant", owner_ref="merchant:car-wash"
            ),
        )

    return await run(engine, use_case)
