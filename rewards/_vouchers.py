"""Issuing vouchers and reading them back.

Invariants protected here: every voucher is paid for by exactly one open hold of its owner's
passbook, for exactly the reward's cost (UNIQUE hold_id); its code is fresh and unique; it
never outlives its hold (it expires no later than the hold does, so a voucher that scans as
valid can always be settled).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from i18n import _
from rewards._codes import new_code
from rewards._eligibility import Volunteer
from rewards._tables import merchant, reward, voucher
from rewards._time import local_date, utcnow, voucher_expiry
from rewards._types import Reward, StockClaim, Voucher, VoucherStatus
from rewards.errors import InvalidRedemption, VoucherNotFound


async def issue_voucher(
    conn: AsyncConnection,
    *,
    reward_: Reward,
    volunteer: Volunteer,
    hold: ledger.Hold,
    claim: StockClaim,
    redemption_id: int | None,
    now: datetime,
    code: str | None = None,
) -> Voucher:
    """Issue one voucher of ``reward_`` to ``volunteer`` (as read in this transaction), paid
    for by ``hold``.

    For redemptions and ballots alike: the caller has placed ``hold`` on the volunteer's
    passbook for the reward's cost and taken what ``claim`` records (stock, quota, limit),
    which the voucher gives back if it is cancelled or expires. The voucher expires after the
    reward's validity, or when the hold does if that is sooner. It is answered from what was
    written (INSERT ... RETURNING) and what is in hand, not read back."""
    if hold.status is not ledger.HoldStatus.HELD or hold.account_id != volunteer.account_id:
        raise InvalidRedemption(
            _("Hold {hold_id} is not an open hold on this volunteer's passbook.", hold_id=hold.id)
        )
    if hold.amount != reward_.cost_points:
        raise InvalidRedemption(
            _(
                "A voucher for {reward_name} is paid by a hold of {cost_points} points, "
                "not {amount}.",
                reward_name=reward_.name,
                cost_points=reward_.cost_points,
                amount=hold.amount,
            )
        )
    expires_at = min(voucher_expiry(now, reward_.voucher_valid_days), hold.expires_at)
    written = (
        await conn.execute(
            voucher.insert()
            .values(
                code=code or new_code(),
                reward_id=reward_.id,
                merchant_id=reward_.merchant.id,
                volunteer_id=volunteer.id,
                redemption_id=redemption_id,
                hold_id=hold.id,
                points=hold.amount,
                status=VoucherStatus.ISSUED,
                issued_at=now,
                expires_at=expires_at,
                takes_stock=claim.takes_stock,
                quota_period=claim.quota_period,
                limit_period=claim.limit_period,
            )
            .returning(*voucher.c)
        )
    ).one()
    # the names voucher_query() joins in: the reward's, its merchant's and the holder's
    return to_voucher(
        SimpleNamespace(
            **written._mapping,
            reward_code=reward_.code,
            reward_name=reward_.name,
            merchant_code=reward_.merchant.code,
            merchant_name=reward_.merchant.name,
            passbook_number=volunteer.passbook_number,
            holder_name=volunteer.name,
        )
    )


def voucher_query() -> Select[Any]:
    person = community.volunteer
    return (
        select(
            voucher,
            reward.c.code.label("reward_code"),
            reward.c.name.label("reward_name"),
            merchant.c.code.label("merchant_code"),
            merchant.c.name.label("merchant_name"),
            person.c.passbook_number,
            person.c.name.label("holder_name"),
        )
        .join(reward, reward.c.id == voucher.c.reward_id)
        .join(merchant, merchant.c.id == voucher.c.merchant_id)
        .join(person, person.c.id == voucher.c.volunteer_id)
    )


def to_voucher(row: Row[Any] | SimpleNamespace) -> Voucher:
    return Voucher(
        id=row.id,
        code=row.code,
        reward_id=row.reward_id,
        reward_code=row.reward_code,
        reward_name=row.reward_name,
        merchant_code=row.merchant_code,
        merchant_name=row.merchant_name,
        volunteer_id=row.volunteer_id,
        passbook_number=row.passbook_number,
        holder_name=row.holder_name,
        redemption_id=row.redemption_id,
        hold_id=ledger.HoldId(row.hold_id),
        points=row.points,
        status=VoucherStatus(row.status),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        valid_until=local_date(row.expires_at - timedelta(microseconds=1)),
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        settle_entry_id=ledger.EntryId(row.settle_entry_id) if row.settle_entry_id else None,
        consume_key=row.consume_key,
        claim=StockClaim(bool(row.takes_stock), row.quota_period, row.limit_period),
    )


async def get_voucher(conn: AsyncConnection, voucher_id: int) -> Voucher:
    row = (await conn.execute(voucher_query().where(voucher.c.id == voucher_id))).first()
    if row is None:
        raise VoucherNotFound(_("No voucher with id {voucher_id}.", voucher_id=voucher_id))
    return to_voucher(row)


async def lock_voucher(
    conn: AsyncConnection, *, voucher_id: int | None = None, code: str | None = None
) -> Voucher:
    """The voucher, its row locked for the rest of the transaction (PostgreSQL; SQLite's
    write transactions are already serial). Every change of a voucher starts here.

    One statement: the voucher in full, locking the voucher's row only (``FOR UPDATE OF``), not
    the reward, merchant and volunteer rows it is read with. A scan that waited for the lock
    reads the row as the scan before it left it."""
    query = voucher_query().with_for_update(of=voucher)
    query = (
        query.where(voucher.c.id == voucher_id)
        if code is None
        else query.where(voucher.c.code == code)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise VoucherNotFound(
            _(
                "No voucher has this code. Check it against the voucher; if it is right, "
                "the voucher was not issued by Red Passbook."
            )
        )
    return to_voucher(row)


async def find_voucher_by_code(conn: AsyncConnection, code: str) -> Voucher | None:
    row = (await conn.execute(voucher_query().where(voucher.c.code == code))).first()
    return to_voucher(row) if row is not None else None


async def vouchers_of(
    conn: AsyncConnection,
    *,
    volunteer_id: int | None = None,
    redemption_id: int | None = None,
    state: VoucherStatus | None = None,
    now: datetime | None = None,
    before: int | None = None,
    limit: int = 200,
) -> list[Voucher]:
    """A volunteer's (or a redemption's) vouchers, newest first: those in ``state`` as of
    ``now`` (a voucher past its date is expired even before the sweep closes it), and with
    ``before``, only those older than voucher ``before``."""
    query = voucher_query().order_by(voucher.c.id.desc()).limit(limit)
    if volunteer_id is not None:
        query = query.where(voucher.c.volunteer_id == volunteer_id)
    if redemption_id is not None:
        query = query.where(voucher.c.redemption_id == redemption_id)
    if before is not None:
        query = query.where(voucher.c.id < before)
    if state is not None:
        query = query.where(_in_state(state, (now or utcnow()).astimezone(UTC)))
    return [to_voucher(row) for row in await conn.execute(query)]


def _in_state(state: VoucherStatus, now: datetime) -> ColumnElement[bool]:
    """What :meth:`Voucher.state` says, as SQL."""
    stored = voucher.c.status == state.value
    issued = voucher.c.status == VoucherStatus.ISSUED.value
    if state is VoucherStatus.ISSUED:
        return and_(stored, voucher.c.expires_at > now)
    if state is VoucherStatus.EXPIRED:
        return or_(stored, and_(issued, voucher.c.expires_at <= now))
    return stored
