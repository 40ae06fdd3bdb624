"""Redemptions and vouchers: reading and cancelling them, a voucher's images, and a passbook's
vouchers a page at a time."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter

import db
import rewards
from access import Principal
from api.routes._common import EXACT_MAX_ID, MAX_ID, IdPath
from api.routes.rewards import redemption_out, voucher_out
from api.schemas import rewards as schemas
from rewards import services
from scheme_time import utcnow

__all__ = ["ROUTES", "RedemptionController", "VoucherController", "passbook_vouchers"]


class RedemptionController(Controller):
    path = "/api/redemptions"
    tags = ["rewards: catalog and redemption"]

    @get("/{redemption_id:int}", summary="A redemption and its vouchers")
    async def read(
        self,
        redemption_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.RedemptionOut:
        found = await tx.read(services.see_redemption, principal, redemption_id=redemption_id)
        return redemption_out(found, utcnow())

    @post(
        "/{redemption_id:int}/cancel",
        summary="Cancel a redemption's unused vouchers: points, stock and limit come back",
        status_code=200,
    )
    async def cancel(
        self,
        redemption_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.RedemptionOut:
        found = await tx.write(services.cancel_redemption, principal, redemption_id=redemption_id)
        return redemption_out(found, utcnow())


# One operation answers SVG or PNG as 'format' asks; a response is documented with one media
# type, so the document says image/* and names both.
_VOUCHER_IMAGE = ResponseSpec(
    data_container=bytes,
    media_type="image/*",
    description="image/svg+xml (format=svg) or image/png (format=png)",
    generate_examples=False,
)


def _image(found: services.VoucherImage) -> Response[bytes]:
    return Response(
        content=found.content,
        media_type=found.media_type,
        # The image is the voucher: whoever holds it can use it.
        headers={"Cache-Control": "no-store"},
    )


class VoucherController(Controller):
    path = "/api/vouchers"
    tags = ["rewards: vouchers"]

    @get("/{voucher_id:int}", summary="A voucher: reward, merchant, expiry, status, images")
    async def read(
        self,
        voucher_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VoucherOut:
        found = await tx.read(services.see_voucher, principal, voucher_id=voucher_id)
        return voucher_out(found, utcnow())

    @post(
        "/{voucher_id:int}/cancel",
        summary="Cancel an unused voucher: its points, stock and limit come back",
        status_code=200,
    )
    async def cancel(
        self,
        voucher_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VoucherOut:
        found = await tx.write(services.cancel_voucher, principal, voucher_id=voucher_id)
        return voucher_out(found, utcnow())

    @get(
        "/{voucher_id:int}/barcode",
        summary="The voucher as a Code 128 bar code (for handheld scanners)",
        media_type="image/svg+xml",
        responses={200: _VOUCHER_IMAGE},
    )
    async def barcode(
        self,
        voucher_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        format: Literal["svg", "png"] = Parameter(default="svg"),
    ) -> Response[bytes]:
        found = await tx.read(
            services.voucher_image,
            principal,
            voucher_id=voucher_id,
            symbol="barcode",
            image_format=rewards.ImageFormat(format),
        )
        return _image(found)

    @get(
        "/{voucher_id:int}/qr",
        summary="The voucher as a QR code (for phone cameras)",
        media_type="image/svg+xml",
        responses={200: _VOUCHER_IMAGE},
    )
    async def qr(
        self,
        voucher_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        format: Literal["svg", "png"] = Parameter(default="svg"),
    ) -> Response[bytes]:
        found = await tx.read(
            services.voucher_image,
            principal,
            voucher_id=voucher_id,
            symbol="qr",
            image_format=rewards.ImageFormat(format),
        )
        return _image(found)


@get(
    "/api/passbooks/{number:str}/vouchers",
    tags=["rewards: vouchers"],
    summary="A passbook's vouchers, newest first, a page at a time",
)
async def passbook_vouchers(
    number: FromPath[str],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    status: Literal["issued", "used", "cancelled", "expired"] | None = Parameter(
        default=None, description="only vouchers in this state now"
    ),
    limit: int = Parameter(default=50, ge=1, le=services.MAX_VOUCHER_PAGE),
    before: int | None = Parameter(
        default=None,
        ge=1,
        le=MAX_ID,
        schema_extra=EXACT_MAX_ID,
        description="a voucher id: the page of vouchers older than it ('earlier')",
    ),
) -> schemas.VoucherList:
    found = await tx.read(
        services.passbook_vouchers,
        principal,
        number=number,
        status=None if status is None else rewards.VoucherStatus(status),
        limit=limit,
        before=before,
    )
    return schemas.VoucherList(
        passbook=found.passbook,
        vouchers=[voucher_out(v, found.as_of) for v in found.page.items],
        earlier=found.page.earlier,
    )


ROUTES: list[Any] = [RedemptionController, VoucherController, passbook_vouchers]
