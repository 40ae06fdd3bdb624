"""Identifiers and value types of the ledger. Points are whole numbers, always."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import NewType, TypeAlias

AccountId = NewType("AccountId", int)
EntryId = NewType("EntryId", int)
HoldId = NewType("HoldId", int)
Points: TypeAlias = int

MAX_POINTS = 10**12
"""No single amount or balance may exceed this; it keeps every sum far inside a 64-bit integer."""


class HoldStatus(enum.StrEnum):
    HELD = "held"
    SETTLED = "settled"
    RELEASED = "released"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of an entry before it is posted: ``amount`` points into ``account_id``
    (negative takes points out)."""

    account_id: AccountId
    amount: Points


@dataclass(frozen=True, slots=True)
class Posting:
    """A posted leg, with the balance of its account right after it (a passbook line)."""

    account_id: AccountId
    amount: Points
    balance_after: Points
    account_seq: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A posted journal entry: two or more postings that sum to zero."""

    id: EntryId
    kind: str
    memo: str
    actor: str
    created_at: datetime
    effective_date: date
    reverses_entry_id: EntryId | None
    idempotency_key: str
    postings: tuple[Posting, ...]
    replayed: bool = False
    """True when this answer is the stored result of an earlier request with the same key."""


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's kept balances: ``available = posted - held``."""

    account_id: AccountId
    kind: str
    owner_ref: str
    posted: Points
    held: Points
    lifetime_earned: Points
    posting_count: int

    @property
    def available(self) -> Points:
        return self.posted - self.held


@dataclass(frozen=True, slots=True)
class Hold:
    """Points reserved on an account until settled, released or expired, each exactly once."""

    id: HoldId
    account_id: AccountId
    amount: Points
    status: HoldStatus
    memo: str
    actor: str
    created_at: datetime
    expires_at: datetime
    idempotency_key: str
    settled_amount: Points | None
    settle_entry_id: EntryId | None
    closed_at: datetime | None
    replayed: bool = False
