"""The hash chain that makes tampering evident.

Each entry has a hash of its own content (``entry_hash``). Each posting links into a chain *per
account*: ``chain_hash = H(previous chain hash of that account, entry hash, seq, amount, balance
after)``, and the account row keeps the head. Posting already locks the accounts it touches, so
the chain adds no global row that every write would have to wait on. Changing, adding or
removing a posting or an entry's content breaks a recomputed hash or a sequence.

Timestamps are hashed as naive UTC ISO strings: SQLite hands back naive datetimes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any


def canonical_time(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def digest(payload: Any) -> str:
    """SHA-256 of a canonical JSON rendering of ``payload``."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def entry_hash(
    *,
    kind: str,
    memo: str,
    actor: str,
    created_at: datetime,
    effective_date: date,
    reverses_entry_id: int | None,
    idempotency_key: str,
    legs: list[tuple[int, int]],
) -> str:
    return digest(
        {
            "kind": kind,
            "memo": memo,
            "actor": actor,
            "created_at": canonical_time(created_at),
            "effective_date": effective_date.isoformat(),
            "reverses": reverses_entry_id,
            "key": idempotency_key,
            "legs": sorted(legs),
        }
    )


def chain_link(
    previous: str, *, entry_hash: str, account_id: int, seq: int, amount: int, balance_after: int
) -> str:
    text = f"{previous}|{entry_hash}|{account_id}|{seq}|{amount}|{balance_after}"
    return hashlib.sha256(text.encode()).hexdigest()
