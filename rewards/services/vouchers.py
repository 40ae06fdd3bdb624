"""Use cases of vouchers: seeing, cancelling and listing them, their images, and a merchant's
scanner verifying and consuming them.

Who may do what: a voucher is seen, shown as an image and cancelled by its holder, or an admin
acting for them (the refusal names no passbook); a passbook's list likewise. Only a merchant's
scanner verifies and consumes, and only its own merchant's vouchers. A scanner that sends too
many invalid or unknown codes in a short time is paused (:class:`rewards.ScanThrottle`), so
guessing codes is slowed down, while other scanners are not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import db
import rewards
from access import Principal, Role
from i18n import _
from rewards._tables import voucher
from scheme_time import utcnow

T = TypeVar("T")

__all__ = [
    "MAX_VOUCHER_PAGE",
    "PassbookVouchers",
    "VoucherImage",
    "cancel_voucher",
    "consume_voucher",
    "guarded_scan",
    "passbook_vouchers",
    "see_voucher",
    "verify_voucher",
    "voucher_image",
]

MAX_VOUCHER_PAGE = 200
"""The most vouchers one page of a passbook's list holds."""

NOT_YOUR_VOUCHER = "Only the voucher's holder, or an admin acting for them, can see or change it."


@dataclass(frozen=True, slots=True)
class PassbookVouchers:
    """A page of a passbook's vouchers, newest first, each in its state as of ``as_of``."""

    passbook: str
    page: db.Page[rewards.Voucher]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class VoucherImage:
    content: bytes
    media_type: str


async def see_voucher(
    conn: AsyncConnection, principal: Principal, *, voucher_id: int
) -> rewards.Voucher:
    """A voucher: its holder, or an admin acting for them."""
    found = await rewards.get_voucher(conn, voucher_id)
    await access.require_acts_for_number(conn, principal, found.passbook_number, NOT_YOUR_VOUCHER)
    return found


async def cancel_voucher(
    conn: AsyncConnection,
    principal: Principal,
    *,
    voucher_id: int,
    now: datetime | None = None,
) -> rewards.Voucher:
    """Cancel an unused voucher: its points, stock and limit come back. A ballot place's
    voucher is the place itself: cancelling it declines the place, which passes on at once to
    the next in drawn order. Its holder, or an admin acting for them."""
    await see_voucher(conn, principal, voucher_id=voucher_id)
    if offer := await rewards.ballot_offer_of(conn, voucher_id):
        ballot_code, number = offer
        await rewards.decline_place(
            conn, ballot_code=ballot_code, passbook_number=number, actor=principal.actor, now=now
        )
        return await rewards.get_voucher(conn, voucher_id)
    return await rewards.cancel_voucher(conn, voucher_id=voucher_id, actor=principal.actor, now=now)


async def passbook_vouchers(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    status: rewards.VoucherStatus | None = None,
    limit: int = 50,
    before: int | None = None,
    now: datetime | None = None,
) -> PassbookVouchers:
    """A passbook's vouchers, newest first, ``limit`` (1 to :data:`MAX_VOUCHER_PAGE`) at a
    time: only those in ``status`` now, and with ``before`` (a voucher id) only older ones.
    Its holder, or an admin acting for them."""
    if not 1 <= limit <= MAX_VOUCHER_PAGE:
        raise db.InvalidRequest(
            _(
                "A page holds 1 to {max_voucher_page} vouchers; got {limit}.",
                max_voucher_page=MAX_VOUCHER_PAGE,
                limit=limit,
            )
        )
    now = now or utcnow()
    passbook = await access.passbook_acted_for(conn, principal, number)
    volunteer = await rewards.find_volunteer(conn, passbook.number)
    found = await rewards.vouchers_of(
        conn,
        volunteer_id=volunteer.id,
        state=status,
        now=now,
        before=before,
        limit=db.fetch_size(limit),
    )
    return PassbookVouchers(passbook.number, db.page_of(found, limit, lambda v: v.id), now)


async def voucher_image(
    conn: AsyncConnection,
    principal: Principal,
    *,
    voucher_id: int,
    symbol: Literal["barcode", "qr"],
    image_format: rewards.ImageFormat,
) -> VoucherImage:
    """The voucher as a Code 128 bar code (for handheld scanners) or a QR code (for phone
    cameras), as SVG or PNG. Its holder, or an admin acting for them: whoever holds the image
    can use the voucher."""
    found = await see_voucher(conn, principal, voucher_id=voucher_id)
    render = rewards.code128 if symbol == "barcode" else rewards.qr
    return VoucherImage(render(found.code, image_format), rewards.MEDIA_TYPES[image_format])


async def verify_voucher(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    now: datetime | None = None,
) -> rewards.Scan:
    """What a scanned or typed voucher code is, and whether this merchant may take it now;
    changes nothing. Merchants' scanners only (a paused scanner is refused before, by
    :func:`guarded_scan`)."""
    access.require_role(principal, Role.MERCHANT)
    now = now or utcnow()
    return await rewards.verify_voucher(conn, code=code, merchant_code=principal.scope, now=now)


async def consume_voucher(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> rewards.Consumption:
    """Use the voucher at this merchant, exactly once, paying the merchant its points.
    Merchants' scanners only (the scanner is recorded as the actor), and only their own
    merchant's vouchers; ``idempotency_key`` makes a retry answer the stored success."""
    access.require_role(principal, Role.MERCHANT)
    now = now or utcnow()
    return await rewards.consume_voucher(
        conn,
        code=code,
        merchant_code=principal.scope,
        scanner=principal.actor,
        idempotency_key=idempotency_key,
        now=now,
    )


async def guarded_scan(
    tx: db.Transactions,
    principal: Principal,
    throttle: rewards.ScanThrottle,
    scan: Callable[[], Awaitable[T]],
    *,
    replay_key: str | None = None,
    now: datetime | None = None,
) -> T:
    """Run ``scan`` (a verify or a consume, in its own transaction) unless this scanner
    credential is paused for sending too many invalid or unknown codes; the count is kept in
    the database, taken atomically before the code is looked at (:class:`rewards.ScanThrottle`).
    A consume's retry with the key a voucher was used under (``replay_key``) is never paused:
    it answers the stored result whatever the count. Merchants' scanners only."""
    access.require_role(principal, Role.MERCHANT)
    # One statement, so no snapshot to hold (on PostgreSQL no BEGIN and ROLLBACK around it).
    if replay_key is not None and await tx.single_read(_used_under, replay_key):
        return await scan()
    return await throttle.guarded(tx, f"token:{principal.token_id}", now or utcnow(), scan)


async def _used_under(conn: AsyncConnection, key: str) -> bool:
    """Whether a voucher was used under the scan key ``key`` (a retry is to be answered)."""
    found = await conn.scalar(select(voucher.c.id).where(voucher.c.consume_key == key))
    return found is not None
