"""The catalog: the rewards merchants honour (the merchants: :mod:`rewards._merchants`).

Invariants protected here: a reward lies within its merchant's unit; a reward names a merchant
that exists, an org unit whose volunteers may redeem it, a positive whole cost and sane limits;
stock can be topped up or cut, but never below what vouchers have already taken (the
database's CHECK backs this up).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from db import constraint_name, metadata
from i18n import _
from rewards._merchants import get_merchant
from rewards._tables import merchant, reward
from rewards._time import utcnow
from rewards._types import (
    Allocation,
    LimitPeriod,
    Merchant,
    Reward,
    RewardChanges,
    RewardKind,
    RewardSpec,
)
from rewards.errors import InvalidCatalog, RewardExists, RewardNotFound

MAX_COST = 1_000_000
MAX_STOCK = 1_000_000


def _check_spec(spec: RewardSpec) -> None:
    if not community.is_code(spec.code):
        raise InvalidCatalog(
            _(
                "Reward code {spec_code!r} must be 1-40 lower-case letters, digits or dashes.",
                spec_code=spec.code,
            )
        )
    if not spec.name.strip() or len(spec.name) > 100:
        raise InvalidCatalog(_("A reward needs a name of 1 to 100 characters."))
    if len(spec.description) > 500:
        raise InvalidCatalog(_("A reward's description fits in 500 characters."))
    _whole(spec.cost_points, "cost_points", 1, MAX_COST)
    _whole(spec.stock_total, "stock_total", 0, MAX_STOCK)
    _whole(spec.monthly_quota, "monthly_quota", 1, MAX_STOCK)
    _whole(spec.per_volunteer_limit, "per_volunteer_limit", 1, 1000)
    _whole(spec.min_lifetime_points, "min_lifetime_points", 0, ledger.MAX_POINTS)
    _whole(spec.min_months_registered, "min_months_registered", 0, 600)
    _whole(spec.voucher_valid_days, "voucher_valid_days", 1, 366)
    _window(spec.sale_starts_at, spec.sale_ends_at)


def _whole(value: int | None, name: str, least: int, most: int) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        raise InvalidCatalog(
            _(
                "{name} must be a whole number from {least} to {most}; got {value!r}.",
                name=name,
                least=least,
                most=most,
                value=value,
            )
        )


def _window(starts: datetime | None, ends: datetime | None) -> None:
    for moment in (starts, ends):
        if moment is not None and moment.tzinfo is None:
            raise InvalidCatalog(
                _("Give sale times with a time zone, e.g. 2026-12-01T08:00+08:00.")
            )
    if starts is not None and ends is not None and ends <= starts:
        raise InvalidCatalog(_("The sale window must end after it starts."))


async def add_reward(
    conn: AsyncConnection, spec: RewardSpec, *, actor: str, now: datetime | None = None
) -> Reward:
    """Put a reward in the catalog. A code is used once: a taken code is refused."""
    _check_spec(spec)
    if await _reward_id(conn, spec.code) is not None:
        raise RewardExists(
            _(
                "A reward with code {spec_code!r} is already in the catalog; change it "
                "instead, or choose another code.",
                spec_code=spec.code,
            )
        )
    seller = await get_merchant(conn, spec.merchant_code)
    unit = await community.find_org_unit(conn, spec.org_unit_code)
    if unit is None:
        raise InvalidCatalog(
            _("No org unit with code {org_unit_code!r}.", org_unit_code=spec.org_unit_code)
        )
    if not community.within(unit.path, seller.org_unit_path):
        raise InvalidCatalog(
            _(
                "Merchant {seller_code!r} serves {org_unit_name} ({org_unit_code}); its "
                "rewards are for volunteers within that unit, and {unit_code!r} is not.",
                seller_code=seller.code,
                org_unit_name=seller.org_unit_name,
                org_unit_code=seller.org_unit_code,
                unit_code=unit.code,
            )
        )
    try:
        await conn.execute(
            reward.insert().values(
                code=spec.code,
                name=spec.name.strip(),
                description=spec.description,
                kind=RewardKind(spec.kind),
                cost_points=spec.cost_points,
                merchant_id=seller.id,
                allocation=Allocation(spec.allocation),
                stock_total=spec.stock_total,
                stock_used=0,
                monthly_quota=spec.monthly_quota,
                per_volunteer_limit=spec.per_volunteer_limit,
                limit_period=LimitPeriod(spec.limit_period),
                min_lifetime_points=spec.min_lifetime_points,
                min_months_registered=spec.min_months_registered,
                org_unit_id=unit.id,
                voucher_valid_days=spec.voucher_valid_days,
                sale_starts_at=spec.sale_starts_at,
                sale_ends_at=spec.sale_ends_at,
                active=True,
                created_at=now or utcnow(),
                created_by=actor,
            )
        )
    except IntegrityError as error:
        if constraint_name(error, metadata) == "uq_reward_code":
            raise RewardExists(
                _("A reward with code {spec_code!r} was just added.", spec_code=spec.code)
            ) from error
        raise
    return await get_reward(conn, spec.code)


async def change_reward(conn: AsyncConnection, code: str, changes: RewardChanges) -> Reward:
    """Top up or cut stock, change the quota, limit or sale end, withdraw or restore."""
    current = await get_reward(conn, code)
    values: dict[str, Any] = {}
    for name in ("stock_total", "monthly_quota", "per_volunteer_limit", "sale_ends_at"):
        if getattr(changes, f"clear_{name}"):
            values[name] = None
        elif getattr(changes, name) is not None:
            values[name] = getattr(changes, name)
    if changes.active is not None:
        values["active"] = changes.active
    _whole(values.get("stock_total"), "stock_total", 0, MAX_STOCK)
    _whole(values.get("monthly_quota"), "monthly_quota", 1, MAX_STOCK)
    _whole(values.get("per_volunteer_limit"), "per_volunteer_limit", 1, 1000)
    _window(current.sale_starts_at, values.get("sale_ends_at", current.sale_ends_at))
    if not values:
        return current
    # The stock check is a conditional write: vouchers issued meanwhile count.
    query = update(reward).where(reward.c.id == current.id).values(**values)
    if values.get("stock_total") is not None:
        query = query.where(reward.c.stock_used <= values["stock_total"])
    result = await conn.execute(query)
    if result.rowcount != 1:
        taken = await conn.scalar(select(reward.c.stock_used).where(reward.c.id == current.id))
        raise InvalidCatalog(
            _(
                "Vouchers have already taken {taken} of {current_name}; the stock cannot "
                "be set below that.",
                taken=taken,
                current_name=current.name,
            ),
            stock_used=taken,
        )
    return await get_reward(conn, code)


def _reward_query() -> Select[Any]:
    unit = community.org_unit
    served = unit.alias("merchant_unit")
    return (
        select(
            reward,
            merchant.c.code.label("merchant_code"),
            merchant.c.name.label("merchant_name"),
            merchant.c.account_id.label("merchant_account_id"),
            served.c.code.label("merchant_unit_code"),
            served.c.name.label("merchant_unit_name"),
            served.c.path.label("merchant_unit_path"),
            unit.c.code.label("unit_code"),
            unit.c.name.label("unit_name"),
            unit.c.path.label("unit_path"),
        )
        .join(merchant, merchant.c.id == reward.c.merchant_id)
        .join(served, served.c.id == merchant.c.org_unit_id)
        .join(unit, unit.c.id == reward.c.org_unit_id)
    )


def _reward(row: Row[Any]) -> Reward:
    return Reward(
        id=row.id,
        code=row.code,
        name=row.name,
        description=row.description,
        kind=RewardKind(row.kind),
        cost_points=row.cost_points,
        merchant=Merchant(
            row.merchant_id,
            row.merchant_code,
            row.merchant_name,
            ledger.AccountId(row.merchant_account_id),
            row.merchant_unit_code,
            row.merchant_unit_name,
            row.merchant_unit_path,
        ),
        allocation=Allocation(row.allocation),
        stock_total=row.stock_total,
        stock_used=row.stock_used,
        monthly_quota=row.monthly_quota,
        per_volunteer_limit=row.per_volunteer_limit,
        limit_period=LimitPeriod(row.limit_period),
        min_lifetime_points=row.min_lifetime_points,
        min_months_registered=row.min_months_registered,
        org_unit_code=row.unit_code,
        org_unit_name=row.unit_name,
        org_unit_path=row.unit_path,
        voucher_valid_days=row.voucher_valid_days,
        sale_starts_at=row.sale_starts_at,
        sale_ends_at=row.sale_ends_at,
        active=bool(row.active),
    )


async def _reward_id(conn: AsyncConnection, code: str) -> int | None:
    found = await conn.scalar(select(reward.c.id).where(reward.c.code == code))
    return int(found) if found is not None else None


async def find_reward(conn: AsyncConnection, code: str) -> Reward | None:
    row = (await conn.execute(_reward_query().where(reward.c.code == code))).first()
    return _reward(row) if row is not None else None


async def get_reward(conn: AsyncConnection, code: str) -> Reward:
    found = await find_reward(conn, code)
    if found is None:
        raise RewardNotFound(_("No reward with code {code!r} in the catalog.", code=code))
    return found


async def reward_by_id(conn: AsyncConnection, reward_id: int) -> Reward:
    row = (await conn.execute(_reward_query().where(reward.c.id == reward_id))).first()
    if row is None:
        raise RewardNotFound(_("No reward with id {reward_id}.", reward_id=reward_id))
    return _reward(row)


async def list_rewards(
    conn: AsyncConnection, *, merchant_code: str | None = None, include_withdrawn: bool = False
) -> list[Reward]:
    query = _reward_query().order_by(reward.c.cost_points, reward.c.code)
    if merchant_code is not None:
        query = query.where(merchant.c.code == merchant_code)
    if not include_withdrawn:
        query = query.where(reward.c.active)
    return [_reward(row) for row in await conn.execute(query)]
