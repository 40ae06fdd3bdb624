"""Instant redemption and cancellation: points for vouchers, in one transaction each.

Invariants protected here:

* a redemption is all or nothing: eligibility, stock, quota, the volunteer's limit, the holds
  and the vouchers are taken in one transaction, and any refusal leaves nothing behind;
* one client key makes at most one redemption: the key's row is written first, so a
  concurrent duplicate waits on it and then replays the stored result;
* a cancelled (or expired) voucher releases its hold and gives back exactly what it took,
  once: the voucher is closed by a conditional update ``WHERE status = 'issued'``;
* rows are locked voucher, reward, quota, counter, then the ledger's hold and account, in
  every use case.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
import observe
from db import constraint_name, metadata
from i18n import _
from ledger.errors import InsufficientPoints
from rewards._catalog import get_reward, reward_by_id
from rewards._codes import grouped, new_code
from rewards._eligibility import find_volunteer_with_balance, refusals
from rewards._stock import give_back, take_stock
from rewards._tables import redemption, voucher
from rewards._time import utcnow, voucher_expiry
from rewards._types import Redemption, Reward, Voucher, VoucherStatus
from rewards._vouchers import get_voucher, issue_voucher, lock_voucher, vouchers_of
from rewards.errors import (
    InvalidRedemption,
    RedemptionKeyReused,
    RedemptionNotFound,
    RedemptionRace,
    VoucherAlreadyUsed,
    VoucherExpired,
    VoucherNotUsable,
)

MAX_QUANTITY = 10
"""Vouchers per redemption; a household's worth, not a shop's."""


async def redeem_reward(
    conn: AsyncConnection,
    *,
    reward_code: str,
    passbook_number: str,
    quantity: int,
    idempotency_key: str,
    actor: str,
    now: datetime | None = None,
) -> Redemption:
    """Exchange points of ``passbook_number`` for ``quantity`` vouchers of a reward that is
    allocated instantly. ``actor`` is who did it (the volunteer, or a grid worker on their
    behalf). Replaying ``idempotency_key`` returns the first result, as it stands now."""
    now = now or utcnow()
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise InvalidRedemption(
            _(
                "Redeem 1 to {most} vouchers at a time; got {quantity!r}.",
                most=MAX_QUANTITY,
                quantity=quantity,
            ),
        )
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidRedemption(_("A redemption needs an idempotency key of 1 to 200 characters."))
    digest = hashlib.sha256(
        f"redeem\x1f{reward_code}\x1f{passbook_number}\x1f{quantity}".encode()
    ).hexdigest()
    if (replay := await _replay(conn, idempotency_key, digest)) is not None:
        return replay

    reward_ = await get_reward(conn, reward_code)
    volunteer, balance = await find_volunteer_with_balance(conn, passbook_number)
    if refused := refusals(reward_, volunteer, balance, now):
        raise refused[0]
    total = reward_.cost_points * quantity
    if balance.available < total:
        raise InsufficientPoints(
            volunteer.account_id,
            balance.available,
            total,
            action=_(
                "Redeeming {quantity} × {reward_name}", quantity=quantity, reward_name=reward_.name
            ),
        )
    try:
        written = (
            await conn.execute(
                redemption.insert()
                .values(
                    reward_id=reward_.id,
                    volunteer_id=volunteer.id,
                    quantity=quantity,
                    unit_cost=reward_.cost_points,
                    idempotency_key=idempotency_key,
                    request_digest=digest,
                    actor=actor,
                    created_at=now,
                )
                .returning(*redemption.c)
            )
        ).one()
    except IntegrityError as error:
        if constraint_name(error, metadata) == "uq_redemption_idempotency_key":
            raise RedemptionRace(idempotency_key) from error
        raise
    claim = await take_stock(conn, reward_, volunteer_id=volunteer.id, quantity=quantity, now=now)
    expires_at = voucher_expiry(now, reward_.voucher_valid_days)
    issued = []
    for _voucher in range(quantity):
        code = new_code()
        hold = await ledger.place_hold(
            conn,
            account_id=volunteer.account_id,
            amount=reward_.cost_points,
            expires_at=expires_at,
            idempotency_key=f"voucher:{code}",
            actor=actor,
            memo=f"兑换券 {reward_.name} {grouped(code)}",
            now=now,
            fresh_key=True,  # the code was drawn just now; the redemption's own key replays
        )
        voucher_ = await issue_voucher(
            conn,
            reward_=reward_,
            volunteer=volunteer,
            hold=hold,
            claim=claim,
            redemption_id=written.id,
            now=now,
            code=code,
        )
        issued.append(voucher_)
    observe.points_redeemed(observe.grid_of(volunteer.grid_path), total)
    # answered from what this request wrote and read, as get_redemption would read it back
    return _redemption(written, reward_, issued)


async def _replay(conn: AsyncConnection, key: str, digest: str) -> Redemption | None:
    row = (
        await conn.execute(
            select(redemption.c.id, redemption.c.request_digest).where(
                redemption.c.idempotency_key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise RedemptionKeyReused()
    return dataclasses.replace(await get_redemption(conn, row.id), replayed=True)


async def get_redemption(conn: AsyncConnection, redemption_id: int) -> Redemption:
    row = (await conn.execute(select(redemption).where(redemption.c.id == redemption_id))).first()
    if row is None:
        raise RedemptionNotFound(
            _("No redemption with id {redemption_id}.", redemption_id=redemption_id)
        )
    reward_ = await reward_by_id(conn, row.reward_id)
    return _redemption(row, reward_, await vouchers_of(conn, redemption_id=redemption_id))


def _redemption(row: Row[Any], reward_: Reward, vouchers: list[Voucher]) -> Redemption:
    in_order = sorted(vouchers, key=lambda v: v.id)
    return Redemption(
        id=row.id,
        reward_code=reward_.code,
        reward_name=reward_.name,
        passbook_number=in_order[0].passbook_number if in_order else "",
        quantity=row.quantity,
        unit_cost=row.unit_cost,
        actor=row.actor,
        created_at=row.created_at,
        vouchers=tuple(in_order),
    )


async def close_unused(
    conn: AsyncConnection, current: Voucher, status: VoucherStatus, *, actor: str, now: datetime
) -> Voucher:
    """Close an issued voucher as cancelled or expired: give back what it took, release its
    hold (unless the ledger's own expiry sweep already did) and mark it, once."""
    await give_back(
        conn, reward_id=current.reward_id, volunteer_id=current.volunteer_id, claim=current.claim
    )
    hold = await ledger.get_hold(conn, current.hold_id)
    if hold.status is ledger.HoldStatus.HELD:
        await ledger.release_hold(
            conn,
            hold_id=current.hold_id,
            idempotency_key=f"voucher:{current.code}:{status.value}",
            now=now,
            status=(
                ledger.HoldStatus.EXPIRED
                if status is VoucherStatus.EXPIRED
                else ledger.HoldStatus.RELEASED
            ),
        )
    elif hold.status is ledger.HoldStatus.SETTLED:  # pragma: no cover - the books forbid it
        raise VoucherAlreadyUsed(_("Voucher {code} was paid already.", code=grouped(current.code)))
    closed = await conn.execute(
        update(voucher)
        .where(voucher.c.id == current.id, voucher.c.status == VoucherStatus.ISSUED)
        .values(status=status, closed_at=now, closed_by=actor)
    )
    if closed.rowcount != 1:  # pragma: no cover - the row lock makes this unreachable
        raise VoucherNotUsable(
            _("Voucher {code} was closed meanwhile.", code=grouped(current.code))
        )
    if current.redemption_id is not None:  # a ballot's place was never counted as redeemed
        holder = await community.find_volunteer(conn, current.passbook_number)
        if holder is not None:
            observe.points_returned(observe.grid_of(holder.grid_path), status.value, current.points)
    return await get_voucher(conn, current.id)


async def cancel_voucher(
    conn: AsyncConnection, *, voucher_id: int, actor: str, now: datetime | None = None
) -> Voucher:
    """Cancel an unused voucher: its points, stock and limit place come back. Cancelling a
    cancelled voucher again answers the same."""
    now = now or utcnow()
    current = await lock_voucher(conn, voucher_id=voucher_id)
    return await _cancel(conn, current, actor=actor, now=now)


async def _cancel(conn: AsyncConnection, current: Voucher, *, actor: str, now: datetime) -> Voucher:
    state = current.state(now)
    if state is VoucherStatus.CANCELLED:
        return current
    if state is VoucherStatus.USED:
        raise VoucherAlreadyUsed(
            _(
                "Voucher {code} was used at {merchant_name}; a used voucher cannot be cancelled.",
                code=grouped(current.code),
                merchant_name=current.merchant_name,
            ),
            used_at=current.closed_at.isoformat() if current.closed_at else None,
        )
    if state is VoucherStatus.EXPIRED:
        raise VoucherExpired(
            _(
                "Voucher {code} expired after {valid_until}; its points are (or will "
                "shortly be) returned to the passbook without cancelling.",
                code=grouped(current.code),
                valid_until=current.valid_until,
            ),
            valid_until=current.valid_until.isoformat(),
        )
    return await close_unused(conn, current, VoucherStatus.CANCELLED, actor=actor, now=now)


async def cancel_redemption(
    conn: AsyncConnection, *, redemption_id: int, actor: str, now: datetime | None = None
) -> Redemption:
    """Cancel every voucher of a redemption that is still unused (used and expired ones stay
    as they are). Refused only if none could be cancelled: as used if some voucher was used,
    as expired if every one has expired (their points come back without cancelling)."""
    now = now or utcnow()
    found = await get_redemption(conn, redemption_id)
    # Every voucher is locked (in id order) before anything else is: a consume of one of them
    # holds that voucher and then the passbook, so taking the passbook first would deadlock.
    locked = [await lock_voucher(conn, voucher_id=listed.id) for listed in found.vouchers]
    cancelled_any = False
    for current in locked:
        if current.state(now) in (VoucherStatus.ISSUED, VoucherStatus.CANCELLED):
            await _cancel(conn, current, actor=actor, now=now)
            cancelled_any = True
    if not cancelled_any:
        if any(current.state(now) is VoucherStatus.USED for current in locked):
            raise VoucherAlreadyUsed(
                _(
                    "No voucher of redemption {redemption_id} can be cancelled: each was "
                    "used or has expired.",
                    redemption_id=redemption_id,
                )
            )
        raise VoucherExpired(
            _(
                "Every voucher of redemption {redemption_id} has expired; their points "
                "are (or will shortly be) returned to the passbook without cancelling.",
                redemption_id=redemption_id,
            )
        )
    return await get_redemption(conn, redemption_id)
