"""Taking and giving back stock, monthly quota and a volunteer's limit.

Invariants protected here: each is taken by a conditional update that the database checks
(``used + n <= cap``; for the quota and limit counters, the update branch of an upsert), so
concurrent redemptions can never take more than there is, and each is given back exactly once,
by the voucher that took it, when that voucher is cancelled or expires. Rows are always
locked in the same order (reward, then its month's quota, then the volunteer's counter) so
that redemptions and cancellations cannot deadlock.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from db import RACE_WINDOW_SECONDS, safeguard_removed
from i18n import Message, _
from rewards._tables import redemption_counter, reward, reward_quota
from rewards._time import month_key, period_key
from rewards._types import Reward, StockClaim
from rewards.errors import LimitReached, QuotaReached, SoldOut


async def take_stock(
    conn: AsyncConnection,
    reward_: Reward,
    *,
    volunteer_id: int,
    quantity: int,
    now: datetime,
    count_limit: bool = True,
) -> StockClaim:
    """Take ``quantity`` units of stock, of this month's quota and of the volunteer's limit,
    or raise :class:`SoldOut`, :class:`QuotaReached` or :class:`LimitReached`. Nothing is
    undone here on refusal: the caller's transaction rolls back as a whole."""
    takes_stock = reward_.stock_total is not None
    if takes_stock:
        taken = await _take(
            conn,
            reward.c.stock_used,
            reward.c.stock_total,
            quantity,
            reward.c.id == reward_.id,
        )
        if not taken:
            left = await conn.scalar(
                select(reward.c.stock_total - reward.c.stock_used).where(reward.c.id == reward_.id)
            )
            raise SoldOut(
                _(
                    "{reward_name} is sold out: only {left} left. Choose another reward, or ask "
                    "the community office when more comes in.",
                    reward_name=reward_.name,
                    left=left,
                )
                if left
                else _(
                    "{reward_name} is sold out. Choose another reward, or ask the community "
                    "office when more comes in.",
                    reward_name=reward_.name,
                ),
                stock_left=left,
            )
    quota_period = None
    if reward_.monthly_quota is not None:
        quota_period = month_key(now)
        where = {"reward_id": reward_.id, "period": quota_period}
        if not await _take_counted(conn, reward_quota, where, reward_.monthly_quota, quantity):
            used = await _used(conn, reward_quota, where)
            raise QuotaReached(
                _(
                    "This month's quota of {reward_name} ({quota}) is used up; {left} left. The "
                    "quota comes back at the start of next month.",
                    reward_name=reward_.name,
                    quota=reward_.monthly_quota,
                    left=reward_.monthly_quota - used,
                )
                if used < reward_.monthly_quota
                else _(
                    "This month's quota of {reward_name} ({quota}) is used up. The quota comes "
                    "back at the start of next month.",
                    reward_name=reward_.name,
                    quota=reward_.monthly_quota,
                ),
                quota=reward_.monthly_quota,
                quota_left=max(reward_.monthly_quota - used, 0),
            )
    limit_period = None
    if count_limit and reward_.per_volunteer_limit is not None:
        limit = reward_.per_volunteer_limit
        limit_period = period_key(reward_.limit_period, now)
        where = {"reward_id": reward_.id, "volunteer_id": volunteer_id, "period": limit_period}
        if not await _take_counted(conn, redemption_counter, where, limit, quantity):
            used = await _used(conn, redemption_counter, where)
            raise LimitReached(
                _(
                    "Each volunteer may have {limit} of {reward_name} {per}; this passbook has "
                    "{used} already, so {more} more at most. A cancelled or expired voucher "
                    "gives its place back.",
                    limit=limit,
                    reward_name=reward_.name,
                    per=_per(reward_.limit_period),
                    used=used,
                    more=limit - used,
                )
                if used < limit
                else _(
                    "Each volunteer may have {limit} of {reward_name} {per}; this passbook has "
                    "{used} already. A cancelled or expired voucher gives its place back.",
                    limit=limit,
                    reward_name=reward_.name,
                    per=_per(reward_.limit_period),
                    used=used,
                ),
                limit=limit,
                limit_left=max(limit - used, 0),
            )
    return StockClaim(takes_stock, quota_period, limit_period)


async def _take(
    conn: AsyncConnection,
    used: Column[int],
    cap: Column[int] | int,
    quantity: int,
    *row: ColumnElement[bool],
) -> bool:
    """Add ``quantity`` to the counter ``used`` of the row matched by ``row`` if it stays within
    ``cap``, in one conditional UPDATE that the database decides; False if it would not.

    With the canary ``stock`` on (tests only, see :mod:`db._canary`) it reads the count and,
    after :data:`db.RACE_WINDOW_SECONDS`, writes back count + quantity instead, which loses
    updates under concurrency."""
    if not safeguard_removed("stock"):
        taken = await conn.execute(
            update(used.table).where(*row, used + quantity <= cap).values({used: used + quantity})
        )
        return taken.rowcount == 1
    limit = literal(cap) if isinstance(cap, int) else cap
    found = (await conn.execute(select(used, limit).where(*row))).first()
    if found is None or found[0] + quantity > found[1]:
        return False
    await asyncio.sleep(RACE_WINDOW_SECONDS)  # others read the same count meanwhile
    await conn.execute(update(used.table).where(*row).values({used: found[0] + quantity}))
    return True


async def _take_counted(
    conn: AsyncConnection, table: Table, key: dict[str, Any], cap: int, quantity: int
) -> bool:
    """Add ``quantity`` to the ``used`` of the counter row ``key`` (a month's quota, a
    volunteer's limit) if it stays within ``cap``, in one statement the database decides: the
    row is inserted at ``quantity`` if missing, else updated only ``WHERE used + quantity <=
    cap``, and RETURNING says whether it was. A concurrent insert of the same key waits for the
    other and then takes the update's branch, so two first redemptions of a month both count.

    With the canary ``stock`` on it reads and writes back instead, as :func:`_take` does."""
    if safeguard_removed("stock"):
        await _ensure_row(conn, table, key)
        row = (table.c[name] == value for name, value in key.items())
        return await _take(conn, table.c.used, cap, quantity, *row)
    if quantity > cap:
        return False  # more than the cap allows even on an unused counter: nothing to write
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    taken = await conn.execute(
        dialect_insert(table)
        .values(**key, used=quantity)
        .on_conflict_do_update(
            index_elements=list(key),
            set_={"used": table.c.used + quantity},
            where=table.c.used + quantity <= cap,
        )
        .returning(table.c.used)
    )
    return taken.first() is not None


async def give_back(
    conn: AsyncConnection,
    *,
    reward_id: int,
    volunteer_id: int,
    claim: StockClaim,
    quantity: int = 1,
) -> None:
    """Return what a cancelled or expired voucher took (in the same lock order as taking)."""
    if claim.takes_stock:
        await conn.execute(
            update(reward)
            .where(reward.c.id == reward_id)
            .values(stock_used=reward.c.stock_used - quantity)
        )
    if claim.quota_period is not None:
        await conn.execute(
            update(reward_quota)
            .where(
                reward_quota.c.reward_id == reward_id, reward_quota.c.period == claim.quota_period
            )
            .values(used=reward_quota.c.used - quantity)
        )
    if claim.limit_period is not None:
        await conn.execute(
            update(redemption_counter)
            .where(
                redemption_counter.c.reward_id == reward_id,
                redemption_counter.c.volunteer_id == volunteer_id,
                redemption_counter.c.period == claim.limit_period,
            )
            .values(used=redemption_counter.c.used - quantity)
        )


async def quota_used(conn: AsyncConnection, reward_: Reward, now: datetime) -> int:
    return await _used(conn, reward_quota, {"reward_id": reward_.id, "period": month_key(now)})


async def limit_used(
    conn: AsyncConnection, reward_: Reward, volunteer_id: int, now: datetime
) -> int:
    where = {
        "reward_id": reward_.id,
        "volunteer_id": volunteer_id,
        "period": period_key(reward_.limit_period, now),
    }
    return await _used(conn, redemption_counter, where)


def _per(period: str) -> Message:
    if period == "month":
        return _("a month")
    if period == "year":
        return _("a year")
    return _("in all")


async def _used(conn: AsyncConnection, table: Table, where: dict[str, Any]) -> int:
    found = await conn.scalar(
        select(table.c.used).where(*(table.c[name] == value for name, value in where.items()))
    )
    return int(found or 0)


async def _ensure_row(conn: AsyncConnection, table: Table, key: dict[str, Any]) -> None:
    """The counter row for ``key``, inserted at 0 if missing. ON CONFLICT DO NOTHING makes a
    concurrent insert of the same key wait for the other and then do nothing, not fail."""
    if await conn.scalar(
        select(table.c.id).where(*(table.c[name] == value for name, value in key.items()))
    ):
        return
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(
        dialect_insert(table).values(**key, used=0).on_conflict_do_nothing(index_elements=list(key))
    )
