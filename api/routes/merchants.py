"""Merchants: adding them, their settlements, and what a merchant's scanner calls at the
counter."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter

import db
import i18n
import rewards
from access import Principal, Role
from api.auth import roles
from api.problems import problem_response, reader_locale
from api.routes._common import OptionalIdempotencyKeyHeader, optional_client_key
from api.routes.rewards import mask_name
from api.schemas import rewards as schemas
from export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from rewards import services
from scheme_time import utcnow

__all__ = ["ROUTES", "MerchantController", "ScanController"]

FromDay = Annotated[date | None, QueryParameter(name="from")]
ToDay = Annotated[date | None, QueryParameter(name="to")]


def merchant_out(found: rewards.Merchant) -> schemas.MerchantOut:
    return schemas.MerchantOut(
        code=found.code,
        name=found.name,
        account_id=found.account_id,
        org_unit=found.org_unit_code,
        org_unit_name=found.org_unit_name,
    )


def settlement_out(found: rewards.Settlement) -> schemas.SettlementOut:
    return schemas.SettlementOut(
        merchant=schemas.MerchantRef(code=found.merchant.code, name=found.merchant.name),
        first_day=found.first_day,
        last_day=found.last_day,
        vouchers=found.vouchers,
        points=found.points,
        by_reward=[
            schemas.RewardTotalOut(
                reward=schemas.RewardRef(code=t.reward_code, name=t.reward_name),
                vouchers=t.vouchers,
                points=t.points,
            )
            for t in found.by_reward
        ],
        lines=[
            schemas.SettlementLineOut(
                used_at=line.used_at,
                voucher=rewards.grouped(line.voucher_code),
                reward=schemas.RewardRef(code=line.reward_code, name=line.reward_name),
                points=line.points,
                scanned_by=line.scanned_by,
                entry_id=line.entry_id,
            )
            for line in found.lines
        ],
    )


class MerchantController(Controller):
    path = "/api/merchants"
    tags = ["rewards: merchants"]

    @post(
        "/",
        guards=[roles(Role.ADMIN)],
        summary="Add a merchant",
        description="The merchant serves org unit 'org_unit' (the admin's own by default): "
        "only admins over that unit add it, issue its credentials and read its settlement, and "
        "its rewards lie within that unit.",
        status_code=201,
    )
    async def add(
        self,
        data: JSONBody[schemas.MerchantIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.MerchantOut:
        found = await tx.write(
            services.add_merchant, principal, code=data.code, name=data.name, org_unit=data.org_unit
        )
        return merchant_out(found)

    @get(
        "/",
        summary="The merchants that serve the caller's unit",
        description="Those of a unit within the caller's and those of a unit above it (a "
        "street's merchant serves every grid); a merchant sees itself.",
    )
    async def list_all(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> list[schemas.MerchantRef]:
        found = await tx.read(services.list_merchants, principal)
        return [schemas.MerchantRef(code=m.code, name=m.name) for m in found]

    @get(
        "/{code:str}/settlement",
        summary="A merchant's settlement: vouchers consumed and points, per period",
        description="Default period: this month so far. 'month=YYYY-MM', or 'from' and 'to' "
        "(local dates, both included).",
    )
    async def settlement(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        first: FromDay = None,
        last: ToDay = None,
        month: str | None = Parameter(default=None),
    ) -> schemas.SettlementOut:
        found = await tx.read(
            services.merchant_settlement,
            principal,
            merchant_code=code,
            first_day=first,
            last_day=last,
            month=month,
        )
        return settlement_out(found)

    @get(
        "/{code:str}/settlement.csv",
        summary="The settlement as CSV (UTF-8 with BOM, opens in Excel)",
        media_type=CSV_MEDIA_TYPE,
    )
    async def settlement_csv(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        first: FromDay = None,
        last: ToDay = None,
        month: str | None = Parameter(default=None),
    ) -> Response[bytes]:
        found = await tx.read(
            services.merchant_settlement,
            principal,
            merchant_code=code,
            first_day=first,
            last_day=last,
            month=month,
        )
        filename = f"settlement-{code}-{found.first_day}-{found.last_day}.csv"
        return Response(
            content=rewards.settlement_csv(found),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get(
        "/{code:str}/settlement.xlsx",
        summary="The settlement as an Excel workbook (.xlsx)",
        description="The lines of settlement.csv with real date-times (China Standard Time) and "
        "points as numbers.",
        media_type=XLSX_MEDIA_TYPE,
    )
    async def settlement_xlsx(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        first: FromDay = None,
        last: ToDay = None,
        month: str | None = Parameter(default=None),
    ) -> Response[bytes]:
        found = await tx.read(
            services.merchant_settlement,
            principal,
            merchant_code=code,
            first_day=first,
            last_day=last,
            month=month,
        )
        filename = f"settlement-{code}-{found.first_day}-{found.last_day}.xlsx"
        return Response(
            content=rewards.settlement_xlsx(found),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


_TOO_MANY_INVALID = (
    "This scanner sent too many invalid or unknown codes in a minute: wait Retry-After seconds "
    "('retry_after'), then scan again. Other scanners are not slowed down."
)


def scan_throttle(request: Request[Principal, str, State]) -> rewards.ScanThrottle:
    """The scan policy (its counts are in the database, shared by every process)."""
    state = request.app.state
    throttle = getattr(state, "scan_throttle", None)
    if not isinstance(throttle, rewards.ScanThrottle):
        throttle = rewards.ScanThrottle()
        state.scan_throttle = throttle
    return throttle


class ScanController(Controller):
    """What a merchant's scanner calls: the code goes in the body (never in a URL, which
    access logs keep)."""

    path = "/api/scan"
    tags = ["rewards: merchant scanning"]
    guards = [roles(Role.MERCHANT)]
    dependencies = {"throttle": Provide(scan_throttle, sync_to_thread=False)}

    @post(
        "/verify",
        summary="What is this voucher, may I take it? (changes nothing)",
        status_code=200,
        responses={429: problem_response(_TOO_MANY_INVALID)},
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.ScanIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        throttle: NamedDependency[rewards.ScanThrottle],
    ) -> schemas.ScanOut:
        now = utcnow()
        scan = await services.guarded_scan(
            tx,
            principal,
            throttle,
            lambda: tx.read(services.verify_voucher, principal, code=data.code, now=now),
            now=now,
        )
        voucher = scan.voucher
        return schemas.ScanOut(
            verdict=scan.verdict.value,
            message=i18n.render(scan.message, reader_locale(request)),
            code=rewards.grouped(voucher.code),
            reward=schemas.RewardRef(code=voucher.reward_code, name=voucher.reward_name),
            merchant=schemas.MerchantRef(code=voucher.merchant_code, name=voucher.merchant_name),
            points=voucher.points,
            holder=mask_name(voucher.holder_name),
            valid_until=voucher.valid_until,
            used_at=voucher.closed_at if voucher.status is rewards.VoucherStatus.USED else None,
        )

    @post(
        "/consume",
        summary="Use the voucher: exactly once, paying the merchant",
        description="Send an Idempotency-Key header (a fresh one per voucher scanned) to make a "
        "retry safe at any time: the same key answers the stored success, marked replayed. "
        "A used voucher scanned with a fresh key, or without one, is a new scan and is refused "
        "(409 voucher_already_used, with when and by which scanner), however soon it comes.",
        status_code=200,
        responses={429: problem_response(_TOO_MANY_INVALID)},
    )
    async def consume(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.ScanIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        throttle: NamedDependency[rewards.ScanThrottle],
        idempotency_header: OptionalIdempotencyKeyHeader = None,
    ) -> schemas.ConsumeOut:
        key = optional_client_key(principal, idempotency_header)
        now = utcnow()
        done = await services.guarded_scan(
            tx,
            principal,
            throttle,
            lambda: tx.write(
                services.consume_voucher, principal, code=data.code, idempotency_key=key, now=now
            ),
            replay_key=key,
            now=now,
        )
        voucher = done.voucher
        assert voucher.closed_at is not None
        return schemas.ConsumeOut(
            message=i18n.render(done.message, reader_locale(request)),
            code=rewards.grouped(voucher.code),
            reward=schemas.RewardRef(code=voucher.reward_code, name=voucher.reward_name),
            points=voucher.points,
            holder=mask_name(voucher.holder_name),
            used_at=voucher.closed_at,
            entry_id=done.entry_id,
            replayed=done.replayed,
        )


ROUTES: list[Any] = [MerchantController, ScanController]
