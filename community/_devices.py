"""The devices a volunteer signed in from: a sign-in with the right PIN hands back a device
value, which the same phone or browser sends with later sign-ins.

Invariants: only a SHA-256 of a device value is stored (the value itself is 256 random bits,
shown once); a device belongs to one volunteer and counts only for that volunteer's number;
resetting the PIN forgets every device of the volunteer (a lost phone is no longer known).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from db import Id, UtcDateTime, metadata

sign_in_device = Table(
    "sign_in_device",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("volunteer_id", ForeignKey("volunteer.id"), nullable=False),
    Column("value_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
    Index(None, "volunteer_id"),
)

_PREFIX = "dv_"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def known_device(conn: AsyncConnection, volunteer_id: int, value: str | None) -> int | None:
    """The id of the device ``value`` names, if it is one of this volunteer's."""
    if not value or not value.startswith(_PREFIX) or len(value) > 100:
        return None
    found = await conn.scalar(
        select(sign_in_device.c.id).where(
            sign_in_device.c.value_hash == _digest(value),
            sign_in_device.c.volunteer_id == volunteer_id,
        )
    )
    return None if found is None else int(found)


async def remember_device(conn: AsyncConnection, volunteer_id: int, now: datetime) -> str:
    """A new device value for this volunteer (shown once; only its hash is kept)."""
    value = _PREFIX + secrets.token_urlsafe(32)
    await conn.execute(
        insert(sign_in_device).values(
            volunteer_id=volunteer_id, value_hash=_digest(value), created_at=now, last_used_at=now
        )
    )
    return value


async def device_used(conn: AsyncConnection, device_id: int, now: datetime) -> None:
    await conn.execute(
        update(sign_in_device).where(sign_in_device.c.id == device_id).values(last_used_at=now)
    )


async def forget_devices(conn: AsyncConnection, volunteer_id: int) -> None:
    await conn.execute(delete(sign_in_device).where(sign_in_device.c.volunteer_id == volunteer_id))
