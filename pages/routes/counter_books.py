"""The counter's settlement: this month's hand-overs of the signed-in merchant, as a page that
prints, and as CSV and ``.xlsx`` downloads.

Invariant: the figures are :func:`rewards.services.merchant_settlement` itself (the one the
API answers with: a merchant sees its own settlement only), and the downloads are the
exchange's own writers (:func:`rewards.settlement_csv`, :func:`rewards.settlement_xlsx`:
UTF-8 with a byte-order mark, cells that would start a formula made plain text).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

import db
import rewards
from access import Principal
from export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from pages.routes.counter import COUNTER_GUARDS
from pages.templating import page
from rewards import services

Month = Annotated[str | None, QueryParameter(name="month", required=False)]


async def _statement(
    tx: db.Transactions, principal: Principal, month: str | None
) -> rewards.Settlement:
    return await tx.read(
        services.merchant_settlement, principal, merchant_code=principal.scope, month=month or None
    )


def _download(found: rewards.Settlement, content: bytes, kind: str, media: str) -> Response[bytes]:
    name = f"settlement-{found.merchant.code}-{found.first_day}-{found.last_day}.{kind}"
    return Response(
        content=content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/scan/settlement", guards=COUNTER_GUARDS, include_in_schema=False)
async def settlement_page(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    month: Month = None,
) -> Template:
    found = await _statement(tx, principal, month)
    return page(
        request,
        "counter_settlement.html",
        statement=found,
        month=month or "",
        grouped=rewards.grouped,
        scanner=rewards.scanner_label,
    )


@get("/scan/settlement.csv", guards=COUNTER_GUARDS, include_in_schema=False)
async def settlement_csv(
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    month: Month = None,
) -> Response[bytes]:
    found = await _statement(tx, principal, month)
    return _download(found, rewards.settlement_csv(found), "csv", CSV_MEDIA_TYPE)


@get("/scan/settlement.xlsx", guards=COUNTER_GUARDS, include_in_schema=False)
async def settlement_xlsx(
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    month: Month = None,
) -> Response[bytes]:
    found = await _statement(tx, principal, month)
    return _download(found, rewards.settlement_xlsx(found), "xlsx", XLSX_MEDIA_TYPE)


ROUTES: list[Any] = [settlement_page, settlement_csv, settlement_xlsx]
