"""The rewards catalog, redemptions, vouchers, merchant scanning and settlement."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
import rewards
from access import ORG_ROLES, Principal, Role, may_act_for, may_read_passbook
from api.auth import roles
from api.problems import problem_response
from api.routes._common import (
    EXACT_MAX_ID,
    MAX_ID,
    IdempotencyKeyHeader,
    IdPath,
    OptionalIdempotencyKeyHeader,
    idempotency_key,
    optional_idempotency_key,
)
from api.schemas import rewards as schemas
from scheme_time import SCHEME_TZ

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


MAX_VOUCHER_PAGE = 200
"""The most vouchers one page of a passbook's list holds."""


def _now() -> datetime:
    return datetime.now(SCHEME_TZ)


def mask_name(name: str) -> str:
    """王秀兰 -> 王*兰, 王兰 -> 王*: enough for a merchant to match a face, no more."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def reward_out(reward: rewards.Reward) -> schemas.RewardOut:
    return schemas.RewardOut(
        code=reward.code,
        name=reward.name,
        description=reward.description,
        kind=reward.kind,
        cost_points=reward.cost_points,
        merchant=schemas.MerchantRef(code=reward.merchant.code, name=reward.merchant.name),
        allocation=reward.allocation,
        stock_total=reward.stock_total,
        stock_left=reward.stock_left,
        monthly_quota=reward.monthly_quota,
        per_volunteer_limit=reward.per_volunteer_limit,
        limit_period=reward.limit_period,
        eligibility=schemas.Eligibility(
            org_unit=reward.org_unit_code,
            org_unit_name=reward.org_unit_name,
            min_lifetime_points=reward.min_lifetime_points,
            min_months_registered=reward.min_months_registered,
        ),
        voucher_valid_days=reward.voucher_valid_days,
        sale_starts_at=reward.sale_starts_at,
        sale_ends_at=reward.sale_ends_at,
        active=reward.active,
    )


def offer_out(offer: rewards.Offer, *, judged: bool) -> schemas.OfferOut:
    return schemas.OfferOut(
        reward=reward_out(offer.reward),
        can_redeem=offer.can_redeem if judged else None,
        reasons=[schemas.ReasonOut(code=r.code, message=r.message) for r in offer.reasons],
        quota_left=offer.quota_left,
        limit_left=offer.limit_left,
        available_points=offer.available_points,
    )


def voucher_out(voucher: rewards.Voucher, now: datetime) -> schemas.VoucherOut:
    base = f"/api/vouchers/{voucher.id}"
    return schemas.VoucherOut(
        id=voucher.id,
        code=rewards.grouped(voucher.code),
        reward=schemas.RewardRef(code=voucher.reward_code, name=voucher.reward_name),
        merchant=schemas.MerchantRef(code=voucher.merchant_code, name=voucher.merchant_name),
        passbook=voucher.passbook_number,
        points=voucher.points,
        status=voucher.state(now).value,
        issued_at=voucher.issued_at,
        valid_until=voucher.valid_until,
        expires_at=voucher.expires_at,
        closed_at=voucher.closed_at,
        redemption_id=voucher.redemption_id,
        images=schemas.VoucherImages(
            barcode_svg=f"{base}/barcode?format=svg",
            barcode_png=f"{base}/barcode?format=png",
            qr_svg=f"{base}/qr?format=svg",
            qr_png=f"{base}/qr?format=png",
        ),
    )


def redemption_out(found: rewards.Redemption, now: datetime) -> schemas.RedemptionOut:
    return schemas.RedemptionOut(
        id=found.id,
        reward=schemas.RewardRef(code=found.reward_code, name=found.reward_name),
        passbook=found.passbook_number,
        quantity=found.quantity,
        unit_cost=found.unit_cost,
        total_points=found.total_points,
        recorded_by=found.actor,
        created_at=found.created_at,
        vouchers=[voucher_out(v, now) for v in found.vouchers],
        replayed=found.replayed,
    )


async def _passbook(conn: AsyncConnection, number: str) -> community.Passbook:
    found = await community.find_passbook(conn, number)
    if found is None:
        raise community.PassbookNotFound(
            f"No passbook numbered {number!r}. Check the number on the cover."
        )
    return found


async def _acting_for(
    conn: AsyncConnection, principal: Principal, number: str | None
) -> community.Passbook:
    """The passbook ``principal`` acts for: a volunteer's own, or one an admin's org unit
    holds (a grid worker acting on the holder's behalf)."""
    if number is None:
        if principal.role is not Role.VOLUNTEER:
            raise ValidationException("Say whose passbook: give 'passbook' (its number).")
        number = principal.scope
    if principal.role is Role.VOLUNTEER and number != principal.scope:
        raise PermissionDeniedException("A volunteer can act only for their own passbook.")
    passbook = await _passbook(conn, number)
    if not may_act_for(principal, passbook):
        raise PermissionDeniedException(
            f"This token cannot act for passbook {number}: only its holder, or an admin of "
            f"the unit holding grid {passbook.grid_name}, can."
        )
    return passbook


async def _own_voucher(
    conn: AsyncConnection, principal: Principal, voucher_id: int
) -> rewards.Voucher:
    voucher = await rewards.get_voucher(conn, voucher_id)
    if not may_act_for(principal, await _passbook(conn, voucher.passbook_number)):
        raise PermissionDeniedException(
            "Only the voucher's holder, or an admin acting for them, can see or change it."
        )
    return voucher


async def _own_redemption(
    conn: AsyncConnection, principal: Principal, redemption_id: int
) -> rewards.Redemption:
    """The redemption, if ``principal`` may act for its passbook; the refusal names no
    passbook, so a redemption id cannot be turned into whose it is."""
    found = await rewards.get_redemption(conn, redemption_id)
    if not may_act_for(principal, await _passbook(conn, found.passbook_number)):
        raise PermissionDeniedException(
            "Only the redemption's holder, or an admin acting for them, can see or change it."
        )
    return found


def _admin_over(principal: Principal, path: str, what: str) -> None:
    if not community.within(path, principal.scope):
        raise PermissionDeniedException(
            f"{what} belongs to {path}, outside this admin token's scope ({principal.scope})."
        )


class MerchantController(Controller):
    path = "/api/merchants"
    tags = ["rewards: merchants"]

    @post("/", guards=[roles(Role.ADMIN)], summary="Add a merchant", status_code=201)
    async def add(
        self,
        data: JSONBody[schemas.MerchantIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.MerchantOut:
        async def use_case(conn: AsyncConnection) -> rewards.Merchant:
            return await rewards.add_merchant(
                conn, code=data.code, name=data.name, actor=request.user.actor
            )

        found = await db.run_in_transaction(engine, use_case)
        return schemas.MerchantOut(code=found.code, name=found.name, account_id=found.account_id)

    @get("/", summary="The merchants that honour vouchers")
    async def list_all(self, engine: NamedDependency[AsyncEngine]) -> list[schemas.MerchantRef]:
        async with db.read_transaction(engine) as conn:
            found = await rewards.list_merchants(conn)
        return [schemas.MerchantRef(code=m.code, name=m.name) for m in found]

    async def _settlement(
        self,
        engine: AsyncEngine,
        principal: Principal,
        code: str,
        first: date | None,
        last: date | None,
        month: str | None,
    ) -> rewards.Settlement:
        if principal.role is Role.MERCHANT and principal.scope != code:
            raise PermissionDeniedException("A merchant sees only its own settlement.")
        if principal.role not in (Role.MERCHANT, Role.ADMIN, Role.AUDITOR):
            raise PermissionDeniedException(
                "Settlements are for the merchant, admins and auditors."
            )
        if month is not None:
            if first is not None or last is not None:
                raise ValidationException("Give either 'month' or 'from' and 'to', not both.")
            if not _MONTH.match(month):
                raise ValidationException("'month' is YYYY-MM, e.g. 2026-11.")
            first = date.fromisoformat(month + "-01")
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        today = rewards.local_date(_now())
        first = first or today.replace(day=1)
        last = last or today
        async with db.read_transaction(engine) as conn:
            return await rewards.settlement(
                conn, merchant_code=code, first_day=first, last_day=last
            )

    @get(
        "/{code:str}/settlement",
        summary="A merchant's settlement: vouchers consumed and points, per period",
        description="Default period: this month so far. 'month=YYYY-MM', or 'from' and 'to' "
        "(local dates, both included).",
    )
    async def settlement(
        self,
        code: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
        month: str | None = Parameter(default=None),
    ) -> schemas.SettlementOut:
        found = await self._settlement(engine, request.user, code, first, last, month)
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

    @get(
        "/{code:str}/settlement.csv",
        summary="The settlement as CSV (UTF-8 with BOM, opens in Excel)",
        media_type="text/csv; charset=utf-8",
    )
    async def settlement_csv(
        self,
        code: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
        month: str | None = Parameter(default=None),
    ) -> Response[bytes]:
        found = await self._settlement(engine, request.user, code, first, last, month)
        filename = f"settlement-{code}-{found.first_day}-{found.last_day}.csv"
        return Response(
            content=rewards.settlement_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


class RewardController(Controller):
    path = "/api/rewards"
    tags = ["rewards: catalog and redemption"]

    @get(
        "/",
        summary="Browse the catalog; with a passbook, what it can redeem now and why not",
    )
    async def browse(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        passbook: str | None = Parameter(default=None, max_length=32),
        include_withdrawn: bool = Parameter(default=False),
    ) -> schemas.Catalog:
        principal = request.user
        now = _now()
        async with db.read_transaction(engine) as conn:
            merchant = principal.scope if principal.role is Role.MERCHANT else None
            found = await rewards.list_rewards(
                conn,
                merchant_code=merchant,
                include_withdrawn=include_withdrawn and principal.role is Role.ADMIN,
            )
            number = await self._reader(conn, principal, passbook)
            offers = await self._offers(conn, found, number, now)
        return schemas.Catalog(
            passbook=number, offers=[offer_out(o, judged=number is not None) for o in offers]
        )

    @get("/{code:str}", summary="One reward; with a passbook, whether it can be redeemed now")
    async def read(
        self,
        code: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        passbook: str | None = Parameter(default=None, max_length=32),
    ) -> schemas.OfferOut:
        async with db.read_transaction(engine) as conn:
            found = await rewards.get_reward(conn, code)
            number = await self._reader(conn, request.user, passbook)
            (offer,) = await self._offers(conn, [found], number, _now())
        return offer_out(offer, judged=number is not None)

    @staticmethod
    async def _reader(
        conn: AsyncConnection, principal: Principal, number: str | None
    ) -> str | None:
        if principal.role is Role.VOLUNTEER:
            if number not in (None, principal.scope):
                raise PermissionDeniedException(
                    "A volunteer can ask only about their own passbook."
                )
            return principal.scope
        if number is None:
            return None
        passbook = await _passbook(conn, number)
        if principal.role not in ORG_ROLES or not may_read_passbook(principal, passbook):
            raise PermissionDeniedException(f"Passbook {number} is outside this token's scope.")
        return number

    @staticmethod
    async def _offers(
        conn: AsyncConnection, found: list[rewards.Reward], number: str | None, now: datetime
    ) -> list[rewards.Offer]:
        if number is None:
            return [rewards.Offer(r) for r in found]
        volunteer = await rewards.find_volunteer(conn, number)
        balance = await ledger.get_balance(conn, volunteer.account_id)
        return [await rewards.offer(conn, r, volunteer, balance, now) for r in found]

    @post("/", guards=[roles(Role.ADMIN)], summary="Put a reward in the catalog", status_code=201)
    async def add(
        self,
        data: JSONBody[schemas.RewardIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.RewardOut:
        principal = request.user
        unit_code = data.org_unit or principal.scope.rsplit("/", 1)[-1]
        spec = rewards.RewardSpec(
            code=data.code,
            name=data.name,
            kind=rewards.RewardKind(data.kind),
            cost_points=data.cost_points,
            merchant_code=data.merchant,
            org_unit_code=unit_code,
            allocation=rewards.Allocation(data.allocation),
            description=data.description,
            stock_total=data.stock_total,
            monthly_quota=data.monthly_quota,
            per_volunteer_limit=data.per_volunteer_limit,
            limit_period=rewards.LimitPeriod(data.limit_period),
            min_lifetime_points=data.min_lifetime_points,
            min_months_registered=data.min_months_registered,
            voucher_valid_days=data.voucher_valid_days,
            sale_starts_at=data.sale_starts_at,
            sale_ends_at=data.sale_ends_at,
        )

        async def use_case(conn: AsyncConnection) -> rewards.Reward:
            unit = await community.find_org_unit(conn, unit_code)
            if unit is None:
                raise community.OrgUnitNotFound(f"No org unit with code {unit_code!r}.")
            _admin_over(principal, unit.path, f"Org unit {unit_code}")
            return await rewards.add_reward(conn, spec, actor=principal.actor)

        return reward_out(await db.run_in_transaction(engine, use_case))

    @patch(
        "/{code:str}",
        guards=[roles(Role.ADMIN)],
        summary="Top up or cut stock, change quota, limit or sale end, withdraw or restore",
    )
    async def change(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.RewardPatch],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.RewardOut:
        sent = data.model_fields_set
        if "active" in sent and data.active is None:
            raise ValidationException("'active' is true or false.")
        changes = rewards.RewardChanges(
            stock_total=data.stock_total,
            clear_stock_total="stock_total" in sent and data.stock_total is None,
            monthly_quota=data.monthly_quota,
            clear_monthly_quota="monthly_quota" in sent and data.monthly_quota is None,
            per_volunteer_limit=data.per_volunteer_limit,
            clear_per_volunteer_limit="per_volunteer_limit" in sent
            and data.per_volunteer_limit is None,
            sale_ends_at=data.sale_ends_at,
            clear_sale_ends_at="sale_ends_at" in sent and data.sale_ends_at is None,
            active=data.active,
        )
        principal = request.user

        async def use_case(conn: AsyncConnection) -> rewards.Reward:
            current = await rewards.get_reward(conn, code)
            _admin_over(principal, current.org_unit_path, f"Reward {code}")
            return await rewards.change_reward(conn, code, changes)

        return reward_out(await db.run_in_transaction(engine, use_case))

    @post(
        "/{code:str}/redemptions",
        summary="Redeem: hold the points and issue vouchers (needs an Idempotency-Key)",
        status_code=201,
    )
    async def redeem(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.RedemptionIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        idempotency_header: IdempotencyKeyHeader = None,
    ) -> schemas.RedemptionOut:
        principal = request.user
        key = idempotency_key(request)

        async def use_case(conn: AsyncConnection) -> rewards.Redemption:
            passbook = await _acting_for(conn, principal, data.passbook)
            return await rewards.redeem_reward(
                conn,
                reward_code=code,
                passbook_number=passbook.number,
                quantity=data.quantity,
                idempotency_key=key,
                actor=principal.actor,
            )

        found = await db.run_in_transaction(engine, use_case)
        return redemption_out(found, _now())


class RedemptionController(Controller):
    path = "/api/redemptions"
    tags = ["rewards: catalog and redemption"]

    @get("/{redemption_id:int}", summary="A redemption and its vouchers")
    async def read(
        self,
        redemption_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.RedemptionOut:
        async with db.read_transaction(engine) as conn:
            found = await _own_redemption(conn, request.user, redemption_id)
        return redemption_out(found, _now())

    @post(
        "/{redemption_id:int}/cancel",
        summary="Cancel a redemption's unused vouchers: points, stock and limit come back",
        status_code=200,
    )
    async def cancel(
        self,
        redemption_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.RedemptionOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> rewards.Redemption:
            await _own_redemption(conn, principal, redemption_id)
            return await rewards.cancel_redemption(
                conn, redemption_id=redemption_id, actor=principal.actor
            )

        found = await db.run_in_transaction(engine, use_case)
        return redemption_out(found, _now())


# One operation answers SVG or PNG as 'format' asks; a response is documented with one media
# type, so the document says image/* and names both.
_VOUCHER_IMAGE = ResponseSpec(
    data_container=bytes,
    media_type="image/*",
    description="image/svg+xml (format=svg) or image/png (format=png)",
    generate_examples=False,
)


class VoucherController(Controller):
    path = "/api/vouchers"
    tags = ["rewards: vouchers"]

    @get("/{voucher_id:int}", summary="A voucher: reward, merchant, expiry, status, images")
    async def read(
        self,
        voucher_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.VoucherOut:
        async with db.read_transaction(engine) as conn:
            found = await _own_voucher(conn, request.user, voucher_id)
        return voucher_out(found, _now())

    @post(
        "/{voucher_id:int}/cancel",
        summary="Cancel an unused voucher: its points, stock and limit come back",
        status_code=200,
    )
    async def cancel(
        self,
        voucher_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.VoucherOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> rewards.Voucher:
            await _own_voucher(conn, principal, voucher_id)
            if offer := await rewards.ballot_offer_of(conn, voucher_id):
                # a ballot place: cancelling it is declining it, so it passes on now
                ballot_code, number = offer
                await rewards.decline_place(
                    conn, ballot_code=ballot_code, passbook_number=number, actor=principal.actor
                )
                return await rewards.get_voucher(conn, voucher_id)
            return await rewards.cancel_voucher(conn, voucher_id=voucher_id, actor=principal.actor)

        found = await db.run_in_transaction(engine, use_case)
        return voucher_out(found, _now())

    async def _image(
        self, engine: AsyncEngine, principal: Principal, voucher_id: int, kind: str, fmt: str
    ) -> Response[bytes]:
        async with db.read_transaction(engine) as conn:
            found = await _own_voucher(conn, principal, voucher_id)
        image_format = rewards.ImageFormat(fmt)
        render = rewards.code128 if kind == "barcode" else rewards.qr
        return Response(
            content=render(found.code, image_format),
            media_type=rewards.MEDIA_TYPES[image_format],
            # The image is the voucher: whoever holds it can use it.
            headers={"Cache-Control": "no-store"},
        )

    @get(
        "/{voucher_id:int}/barcode",
        summary="The voucher as a Code 128 bar code (for handheld scanners)",
        media_type="image/svg+xml",
        responses={200: _VOUCHER_IMAGE},
    )
    async def barcode(
        self,
        voucher_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        format: Literal["svg", "png"] = Parameter(default="svg"),
    ) -> Response[bytes]:
        return await self._image(engine, request.user, voucher_id, "barcode", format)

    @get(
        "/{voucher_id:int}/qr",
        summary="The voucher as a QR code (for phone cameras)",
        media_type="image/svg+xml",
        responses={200: _VOUCHER_IMAGE},
    )
    async def qr(
        self,
        voucher_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        format: Literal["svg", "png"] = Parameter(default="svg"),
    ) -> Response[bytes]:
        return await self._image(engine, request.user, voucher_id, "qr", format)


@get(
    "/api/passbooks/{number:str}/vouchers",
    tags=["rewards: vouchers"],
    summary="A passbook's vouchers, newest first, a page at a time",
)
async def passbook_vouchers(
    number: FromPath[str],
    request: Request[Principal, str, State],
    engine: NamedDependency[AsyncEngine],
    status: Literal["issued", "used", "cancelled", "expired"] | None = Parameter(
        default=None, description="only vouchers in this state now"
    ),
    limit: int = Parameter(default=50, ge=1, le=MAX_VOUCHER_PAGE),
    before: int | None = Parameter(
        default=None,
        ge=1,
        le=MAX_ID,
        schema_extra=EXACT_MAX_ID,
        description="a voucher id: the page of vouchers older than it ('earlier')",
    ),
) -> schemas.VoucherList:
    now = _now()
    async with db.read_transaction(engine) as conn:
        passbook = await _acting_for(conn, request.user, number)
        volunteer = await rewards.find_volunteer(conn, passbook.number)
        found = await rewards.vouchers_of(
            conn,
            volunteer_id=volunteer.id,
            state=None if status is None else rewards.VoucherStatus(status),
            now=now,
            before=before,
            limit=limit + 1,
        )
    page = found[:limit]
    return schemas.VoucherList(
        passbook=passbook.number,
        vouchers=[voucher_out(v, now) for v in page],
        earlier=page[-1].id if len(found) > limit else None,
    )


_TOO_MANY_INVALID = (
    "This scanner sent too many invalid or unknown codes in a minute: wait Retry-After seconds "
    "('retry_after'), then scan again. Other scanners are not slowed down."
)


def _throttle(request: Request[Principal, str, State]) -> rewards.ScanThrottle:
    """One throttle per running app (created on first use), keyed by scanner credential."""
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

    @post(
        "/verify",
        summary="What is this voucher, may I take it? (changes nothing)",
        status_code=200,
        responses={429: problem_response(_TOO_MANY_INVALID)},
    )
    async def verify(
        self,
        data: JSONBody[schemas.ScanIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.ScanOut:
        principal = request.user

        async def look(now: datetime) -> rewards.Scan:
            async with db.read_transaction(engine) as conn:
                return await rewards.verify_voucher(
                    conn, code=data.code, merchant_code=principal.scope, now=now
                )

        scan = await _guarded(request, look)
        voucher = scan.voucher
        return schemas.ScanOut(
            verdict=scan.verdict.value,
            message=scan.message,
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
        "Without a key, the same scanner's retry is recognised for 2 minutes only.",
        status_code=200,
        responses={429: problem_response(_TOO_MANY_INVALID)},
    )
    async def consume(
        self,
        data: JSONBody[schemas.ScanIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        idempotency_header: OptionalIdempotencyKeyHeader = None,
    ) -> schemas.ConsumeOut:
        principal = request.user
        key = optional_idempotency_key(request)

        async def use(now: datetime) -> rewards.Consumption:
            async def use_case(conn: AsyncConnection) -> rewards.Consumption:
                return await rewards.consume_voucher(
                    conn,
                    code=data.code,
                    merchant_code=principal.scope,
                    scanner=principal.actor,
                    idempotency_key=key,
                    now=now,
                )

            return await db.run_in_transaction(engine, use_case)

        done = await _guarded(request, use)
        voucher = done.voucher
        assert voucher.closed_at is not None
        return schemas.ConsumeOut(
            message=done.message,
            code=rewards.grouped(voucher.code),
            reward=schemas.RewardRef(code=voucher.reward_code, name=voucher.reward_name),
            points=voucher.points,
            holder=mask_name(voucher.holder_name),
            used_at=voucher.closed_at,
            entry_id=done.entry_id,
            replayed=done.replayed,
        )


async def _guarded(request: Request[Principal, str, State], scan: Any) -> Any:
    """Run a scan unless this credential is paused; count an invalid or unknown code."""
    throttle = _throttle(request)
    key = f"token:{request.user.token_id}"
    now = datetime.now(SCHEME_TZ)
    throttle.check(key, now)
    try:
        return await scan(now)
    except (rewards.errors.VoucherCodeInvalid, rewards.errors.VoucherNotFound):
        throttle.record_failure(key, now)
        raise


ROUTES: list[Any] = [
    MerchantController,
    RewardController,
    RedemptionController,
    VoucherController,
    ScanController,
    passbook_vouchers,
]
