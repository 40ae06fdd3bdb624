"""Use cases of instant redemption: points for vouchers, and cancelling what was redeemed.

Who may do what: a volunteer redeems, sees and cancels for their own passbook; an admin (a
grid worker or community staff) does so on behalf of a passbook in their org unit, and the
books record who acted. A refusal about a redemption names no passbook, so its id cannot be
turned into whose it is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import rewards
from access import Principal

__all__ = ["cancel_redemption", "redeem_reward", "see_redemption"]

NOT_YOUR_REDEMPTION = (
    "Only the redemption's holder, or an admin acting for them, can see or change it."
)


async def redeem_reward(
    conn: AsyncConnection,
    principal: Principal,
    *,
    reward_code: str,
    quantity: int,
    idempotency_key: str,
    passbook: str | None = None,
    now: datetime | None = None,
) -> rewards.Redemption:
    """Hold the points of ``passbook`` (a volunteer's own by default) and issue ``quantity``
    vouchers of a reward allocated instantly. The holder or an admin acting for them; a
    replayed ``idempotency_key`` answers the first result as it stands now."""
    acting_for = await access.passbook_acted_for(conn, principal, passbook)
    return await rewards.redeem_reward(
        conn,
        reward_code=reward_code,
        passbook_number=acting_for.number,
        quantity=quantity,
        idempotency_key=idempotency_key,
        actor=principal.actor,
        now=now,
    )


async def see_redemption(
    conn: AsyncConnection, principal: Principal, *, redemption_id: int
) -> rewards.Redemption:
    """A redemption and its vouchers: its holder, or an admin acting for them."""
    found = await rewards.get_redemption(conn, redemption_id)
    await access.require_acts_for_number(
        conn, principal, found.passbook_number, NOT_YOUR_REDEMPTION
    )
    return found


async def cancel_redemption(
    conn: AsyncConnection,
    principal: Principal,
    *,
    redemption_id: int,
    now: datetime | None = None,
) -> rewards.Redemption:
    """Cancel a redemption's unused vouchers: their points, stock and limit come back. Its
    holder, or an admin acting for them; refused if every voucher was used or has expired."""
    await see_redemption(conn, principal, redemption_id=redemption_id)
    return await rewards.cancel_redemption(
        conn, redemption_id=redemption_id, actor=principal.actor, now=now
    )
