"""A volunteer's vouchers: the list, one voucher, the full-screen view for the cashier, and
cancelling an unused one after a confirmation step.

Invariants: every voucher is read, pictured and cancelled through the use cases the API calls
(:func:`rewards.services.passbook_vouchers`, ``see_voucher``, ``voucher_image``,
``cancel_voucher``, ``see_redemption``), which let only the holder or an admin acting for
them in (another volunteer's voucher is refused, and the refusal names no passbook); a
voucher's state is the one a scanner would see now; the holder is shown masked as the
counter sees it (:func:`api.routes.rewards.mask_name`). Vouchers are addressed by their id,
never by their code: the code is what a counter takes, so it stays out of addresses (browser
history, server logs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import rewards
from access import Principal
from api.routes.rewards import mask_name
from community import services as registry
from community.services import PassbookBalance
from i18n import _
from pages.languages import page_locale
from pages.routes._subject import Subject
from pages.voucher_images import inline_svg
from rewards import services as exchange
from scheme_time import utcnow

MAX_ID = 2**63 - 1  # the largest id the database holds (BIGINT)
IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
_NOT_THIS_PASSBOOK = _("This voucher is not in the passbook these pages are showing.")
ORDER = {
    rewards.VoucherStatus.ISSUED: 0,
    rewards.VoucherStatus.USED: 1,
    rewards.VoucherStatus.EXPIRED: 2,
    rewards.VoucherStatus.CANCELLED: 3,
}


@dataclass(frozen=True, slots=True)
class Shown:
    """A voucher in its state now."""

    voucher: rewards.Voucher
    state: rewards.VoucherStatus

    @property
    def grouped(self) -> str:
        return rewards.grouped(self.voucher.code)

    @property
    def holder(self) -> str:
        return mask_name(self.voucher.holder_name)


@dataclass(frozen=True, slots=True)
class VoucherList:
    found: PassbookBalance
    vouchers: list[Shown]
    earlier: int | None


async def vouchers_of(
    conn: AsyncConnection, principal: Principal, *, number: str, before: int | None
) -> VoucherList:
    found = await registry.passbook_balance(conn, principal, number=number)
    listed = await exchange.passbook_vouchers(
        conn, principal, number=number, limit=50, before=before
    )
    shown = [Shown(v, v.state(listed.as_of)) for v in listed.page.items]
    shown.sort(key=lambda s: (ORDER.get(s.state, 9), -s.voucher.id))
    return VoucherList(found, shown, listed.page.earlier)


@dataclass(frozen=True, slots=True)
class OneVoucher:
    found: PassbookBalance
    shown: Shown
    recorded_by: str | None
    by_holder: bool


async def voucher_of(
    conn: AsyncConnection, principal: Principal, *, voucher_id: int, number: str
) -> OneVoucher:
    voucher = await exchange.see_voucher(conn, principal, voucher_id=voucher_id)
    if voucher.passbook_number != number:
        # The principal may see it, but it is not the passbook these pages are showing.
        raise access.Forbidden(_NOT_THIS_PASSBOOK)
    found = await registry.passbook_balance(conn, principal, number=number)
    actor = None
    if voucher.redemption_id is not None:
        redemption = await exchange.see_redemption(
            conn, principal, redemption_id=voucher.redemption_id
        )
        actor = redemption.actor
    by_holder = actor is None or actor.startswith("volunteer:")
    return OneVoucher(found, Shown(voucher, voucher.state(utcnow())), actor, by_holder)


def _who(actor: str) -> str:
    """How a page names who acted: the credential's label (``admin:燕山街道 demo admin#1`` is
    shown as ``燕山街道 demo admin``)."""
    label = actor.split(":", 1)[-1]
    return label.rsplit("#", 1)[0] if "#" in label else label


@get("/vouchers", include_in_schema=False)
async def vouchers_page(
    subject: NamedDependency[Subject],
    before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
) -> Template:
    found = await subject.read(vouchers_of, before=before)
    return subject.page("vouchers.html", found.found, listed=found)


@get("/vouchers/{voucher_id:int}", include_in_schema=False)
async def voucher_page(voucher_id: IdPath, subject: NamedDependency[Subject]) -> Template:
    found = await subject.read(voucher_of, voucher_id=voucher_id)
    shown = subject.request.query_params
    return subject.page(
        "voucher.html",
        found.found,
        one=found,
        who=_who(found.recorded_by) if found.recorded_by else None,
        new="new" in shown,
        cancelled="cancelled" in shown,
    )


@dataclass(frozen=True, slots=True)
class Pictures:
    qr: Markup
    barcode: Markup


@get("/vouchers/{voucher_id:int}/show", include_in_schema=False)
async def show_page(voucher_id: IdPath, subject: NamedDependency[Subject]) -> Template:
    found = await subject.read(voucher_of, voucher_id=voucher_id)
    qr = await _picture(subject, voucher_id, "qr")
    bars = await _picture(subject, voucher_id, "barcode")
    locale = page_locale(subject.request)
    pictures = Pictures(
        qr=inline_svg(qr.content, _("QR code of the voucher").render(locale)),
        barcode=inline_svg(bars.content, _("Bar code of the voucher").render(locale)),
    )
    # The cashier's view is the voucher alone: no band (voucher_show.html draws no frame).
    return subject.page("voucher_show.html", None, one=found, pictures=pictures)


async def _picture(
    subject: Subject, voucher_id: int, symbol: Literal["barcode", "qr"]
) -> exchange.VoucherImage:
    return await subject.tx.read(
        exchange.voucher_image,
        subject.principal,
        voucher_id=voucher_id,
        symbol=symbol,
        image_format=rewards.ImageFormat.SVG,
    )


@get("/vouchers/{voucher_id:int}/cancel", include_in_schema=False)
async def cancel_page(voucher_id: IdPath, subject: NamedDependency[Subject]) -> Template | Redirect:
    found = await subject.read(voucher_of, voucher_id=voucher_id)
    if found.shown.state is not rewards.VoucherStatus.ISSUED:
        return Redirect(f"/vouchers/{voucher_id}", status_code=HTTP_303_SEE_OTHER)
    return subject.page("voucher_cancel.html", found.found, one=found)


@post("/vouchers/{voucher_id:int}/cancel", include_in_schema=False, status_code=303)
async def cancel(voucher_id: IdPath, subject: NamedDependency[Subject]) -> Redirect:
    found = await subject.read(voucher_of, voucher_id=voucher_id)
    if found.shown.state is rewards.VoucherStatus.ISSUED:  # a resent form changes nothing
        await subject.tx.write(exchange.cancel_voucher, subject.principal, voucher_id=voucher_id)
    return Redirect(f"/vouchers/{voucher_id}?cancelled=1", status_code=HTTP_303_SEE_OTHER)


ROUTES: list[Any] = [vouchers_page, voucher_page, show_page, cancel_page, cancel]
