"""The rewards catalog and redemption; and the presenters every rewards route module shares
(a reward, an offer, a voucher, a redemption as the API shows them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

import db
import i18n
import rewards
from access import Principal, Role
from api.auth import roles
from api.problems import reader_locale
from api.routes._common import IdempotencyKeyHeader, client_key
from api.schemas import rewards as schemas
from rewards import services
from scheme_time import utcnow

__all__ = [
    "ROUTES",
    "RewardController",
    "mask_name",
    "offer_out",
    "redemption_out",
    "reward_out",
    "voucher_out",
]


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


def offer_out(
    offer: rewards.Offer, *, judged: bool, locale: i18n.Locale = i18n.API_DEFAULT
) -> schemas.OfferOut:
    return schemas.OfferOut(
        reward=reward_out(offer.reward),
        can_redeem=offer.can_redeem if judged else None,
        reasons=[
            schemas.ReasonOut(code=r.code, message=i18n.render(r.message, locale))
            for r in offer.reasons
        ],
        quota_left=offer.quota_left,
        limit_left=offer.limit_left,
        available_points=offer.available_points,
    )


def voucher_out(voucher: rewards.Voucher, now: datetime) -> schemas.VoucherOut:
    """The voucher in its state as of ``now``, with the addresses of its images."""
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


def _changes(data: schemas.RewardPatch) -> rewards.RewardChanges:
    """The PATCH body as a change: a field sent as null clears it, one left out stays."""
    sent = data.model_fields_set  # "active": null is refused by the schema
    return rewards.RewardChanges(
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


class RewardController(Controller):
    path = "/api/rewards"
    tags = ["rewards: catalog and redemption"]

    @get(
        "/",
        summary="Browse the catalog; with a passbook, what it can redeem now and why not",
    )
    async def browse(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        passbook: str | None = Parameter(default=None, max_length=32),
        include_withdrawn: bool = Parameter(default=False),
    ) -> schemas.Catalog:
        found = await tx.read(
            services.browse_catalog,
            principal,
            passbook=passbook,
            include_withdrawn=include_withdrawn,
        )
        return schemas.Catalog(
            passbook=found.passbook,
            offers=[
                offer_out(o, judged=found.judged, locale=reader_locale(request))
                for o in found.offers
            ],
        )

    @get("/{code:str}", summary="One reward; with a passbook, whether it can be redeemed now")
    async def read(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        passbook: str | None = Parameter(default=None, max_length=32),
    ) -> schemas.OfferOut:
        found = await tx.read(services.see_reward, principal, code=code, passbook=passbook)
        (offer,) = found.offers
        return offer_out(offer, judged=found.judged, locale=reader_locale(request))

    @post("/", guards=[roles(Role.ADMIN)], summary="Put a reward in the catalog", status_code=201)
    async def add(
        self,
        data: JSONBody[schemas.RewardIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.RewardOut:
        found = await tx.write(
            services.add_reward,
            principal,
            code=data.code,
            name=data.name,
            kind=rewards.RewardKind(data.kind),
            cost_points=data.cost_points,
            merchant_code=data.merchant,
            org_unit_code=data.org_unit,
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
        return reward_out(found)

    @patch(
        "/{code:str}",
        guards=[roles(Role.ADMIN)],
        summary="Top up or cut stock, change quota, limit or sale end, withdraw or restore",
    )
    async def change(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.RewardPatch],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.RewardOut:
        changes = _changes(data)
        return reward_out(
            await tx.write(services.change_reward, principal, code=code, changes=changes)
        )

    @post(
        "/{code:str}/redemptions",
        summary="Redeem: hold the points and issue vouchers (needs an Idempotency-Key)",
        status_code=201,
    )
    async def redeem(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.RedemptionIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        idempotency_header: IdempotencyKeyHeader = None,
    ) -> schemas.RedemptionOut:
        key = client_key(principal, idempotency_header)
        found = await tx.write(
            services.redeem_reward,
            principal,
            reward_code=code,
            passbook=data.passbook,
            quantity=data.quantity,
            idempotency_key=key,
        )
        return redemption_out(found, utcnow())


ROUTES: list[Any] = [RewardController]
