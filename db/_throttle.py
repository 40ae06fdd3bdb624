"""Counts of failed attempts kept in the database, so every worker process and a restart see
the same count: the sign-in throttle and the scan throttle both keep theirs here.

Invariants:

* one row per (scope, key); it is created and changed only by single atomic statements
  (``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING``), so two attempts at once can
  never both take the last allowed place: the database decides, not a read followed by a write;
* an attempt refused by a statement here changes nothing;
* a place taken and then given back (:func:`give_back`) is given back only in the window it
  was taken in, and a count never goes below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    case,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from db._metadata import metadata
from db._types import UtcDateTime

throttle = Table(
    "throttle",
    metadata,
    Column("scope", String(32), nullable=False),
    Column("key", String(160), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("scope", "key"),
    CheckConstraint("failures >= 0", name="failures_non_negative"),
)


@dataclass(frozen=True, slots=True)
class Count:
    """A key's count after an attempt was let through: how many, since when."""

    failures: int
    first_at: datetime


@dataclass(frozen=True, slots=True)
class Held:
    """A key's row as stored: its count and until when it must wait, if it must."""

    failures: int
    first_at: datetime
    last_at: datetime
    blocked_until: datetime | None


def _insert(conn: AsyncConnection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(throttle)


def _where(scope: str, key: str) -> Any:
    return and_(throttle.c.scope == scope, throttle.c.key == key)


async def take_in_window(
    conn: AsyncConnection,
    scope: str,
    key: str,
    *,
    limit: int,
    window_start: datetime,
    now: datetime,
) -> Count | None:
    """Take one of ``limit`` places of a fixed window (it starts at the first attempt and
    lasts until ``window_start`` passes it); ``None`` when all are taken. One statement."""
    stale = throttle.c.first_at <= window_start
    statement = _insert(conn).values(
        scope=scope, key=key, failures=1, first_at=now, last_at=now, blocked_until=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[throttle.c.scope, throttle.c.key],
        set_={
            "failures": case((stale, 1), else_=throttle.c.failures + 1),
            "first_at": case((stale, now), else_=throttle.c.first_at),
            "last_at": now,
        },
        where=or_(stale, throttle.c.failures < limit),
    ).returning(throttle.c.failures, throttle.c.first_at)
    row = (await conn.execute(statement)).first()
    return None if row is None else Count(row.failures, row.first_at)


async def count_unless_blocked(
    conn: AsyncConnection, scope: str, key: str, *, forget_before: datetime, now: datetime
) -> Count | None:
    """Count one more attempt for ``key`` unless it must wait (``blocked_until`` is after
    ``now``); a count whose last attempt is at or before ``forget_before`` starts over.
    ``None`` when it must wait. One statement; set the wait with :func:`block_until`."""
    forgotten = throttle.c.last_at <= forget_before
    statement = _insert(conn).values(
        scope=scope, key=key, failures=1, first_at=now, last_at=now, blocked_until=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[throttle.c.scope, throttle.c.key],
        set_={
            "failures": case((forgotten, 1), else_=throttle.c.failures + 1),
            "first_at": case((forgotten, now), else_=throttle.c.first_at),
            "last_at": now,
        },
        where=or_(throttle.c.blocked_until.is_(None), throttle.c.blocked_until <= now),
    ).returning(throttle.c.failures, throttle.c.first_at)
    row = (await conn.execute(statement)).first()
    return None if row is None else Count(row.failures, row.first_at)


async def block_until(conn: AsyncConnection, scope: str, key: str, until: datetime | None) -> None:
    """Make ``key`` wait until ``until`` (``None``: no wait)."""
    await conn.execute(update(throttle).where(_where(scope, key)).values(blocked_until=until))


async def held(conn: AsyncConnection, scope: str, key: str) -> Held | None:
    """The row of ``key``, if it has one."""
    row = (
        await conn.execute(
            select(
                throttle.c.failures,
                throttle.c.first_at,
                throttle.c.last_at,
                throttle.c.blocked_until,
            ).where(_where(scope, key))
        )
    ).first()
    return None if row is None else Held(*row)


async def give_back(conn: AsyncConnection, scope: str, key: str, taken: Count) -> None:
    """Give back the place ``taken`` took (the attempt turned out not to count), if its window
    is still the current one."""
    await conn.execute(
        update(throttle)
        .where(_where(scope, key), throttle.c.first_at == taken.first_at, throttle.c.failures > 0)
        .values(failures=throttle.c.failures - 1)
    )


async def forget(conn: AsyncConnection, scope: str, key: str) -> bool:
    """Clear ``key``'s count and wait; whether it had any."""
    result = await conn.execute(delete(throttle).where(_where(scope, key)))
    return bool(result.rowcount)


__all__ = [
    "Count",
    "Held",
    "block_until",
    "count_unless_blocked",
    "forget",
    "give_back",
    "held",
    "take_in_window",
    "throttle",
]
