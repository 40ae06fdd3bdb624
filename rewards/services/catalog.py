"""Use cases of the catalog: merchants, the rewards they honour, and offers as a caller sees
them.

Who may do what: admins add merchants, and put rewards in the catalog and change them in their
own org unit; everyone signed in browses. Offers are judged (can it be redeemed now, and why
not) for a volunteer's own passbook, or for a passbook staff (admin, council, auditor) may
read; a merchant sees only its own rewards, and only an admin sees withdrawn ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import ledger
import rewards
from access import Principal, Role
from i18n import _
from rewards.services._rules import outside_admin_scope, require_admin_of
from scheme_time import utcnow

__all__ = [
    "Catalog",
    "add_merchant",
    "add_reward",
    "browse_catalog",
    "change_reward",
    "list_merchants",
    "see_reward",
]


@dataclass(frozen=True, slots=True)
class Catalog:
    """Offers judged for ``passbook`` (whether it can redeem each now, and why not), or not
    judged at all when ``passbook`` is None."""

    passbook: str | None
    offers: list[rewards.Offer]

    @property
    def judged(self) -> bool:
        return self.passbook is not None


async def add_merchant(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str,
    org_unit: str | None = None,
    now: datetime | None = None,
) -> rewards.Merchant:
    """Add a merchant serving org unit ``org_unit`` (the admin's own unit by default) and open
    its ledger account; the same code, name and unit again return the merchant as it is.

    Who: an admin over that unit (a grid's admin adds a merchant of their grid, not one of
    the whole street). Refuses a unit outside the admin's."""
    access.require_role(principal, Role.ADMIN)
    if org_unit is None:
        org_unit = principal.scope.rsplit("/", 1)[-1]
    unit = await community.find_org_unit(conn, org_unit)
    if unit is None:
        raise rewards.errors.InvalidCatalog(
            _("No org unit with code {org_unit!r}.", org_unit=org_unit)
        )
    require_admin_of(
        principal,
        unit.path,
        outside_admin_scope(principal, _("Org unit {code!r}", code=org_unit), unit.path),
    )
    return await rewards.add_merchant(
        conn, code=code, name=name, org_unit_code=unit.code, actor=principal.actor, now=now
    )


async def list_merchants(conn: AsyncConnection, principal: Principal) -> list[rewards.Merchant]:
    """The merchants that serve the caller's unit, by code: those of a unit within it and
    those of a unit above it (a street's merchant serves every grid). A merchant sees itself,
    a volunteer the merchants serving their grid."""
    if principal.role is Role.MERCHANT:
        found = await rewards.find_merchant(conn, principal.scope)
        return [] if found is None else [found]
    if principal.role is Role.VOLUNTEER:
        own = await community.find_passbook(conn, principal.scope)
        if own is None:
            return []
        where = own.grid_path
    else:
        where = principal.scope
    return [
        m
        for m in await rewards.list_merchants(conn)
        if community.within(m.org_unit_path, where) or community.within(where, m.org_unit_path)
    ]


async def browse_catalog(
    conn: AsyncConnection,
    principal: Principal,
    *,
    passbook: str | None = None,
    include_withdrawn: bool = False,
    now: datetime | None = None,
) -> Catalog:
    """The catalog, cheapest first; with ``passbook``, judged for it now (a volunteer's offers
    are always judged for their own). A merchant sees only its own rewards; withdrawn ones
    only an admin who asks. Refuses a passbook the caller may not read."""
    now = now or utcnow()
    merchant = principal.scope if principal.role is Role.MERCHANT else None
    found = await rewards.list_rewards(
        conn,
        merchant_code=merchant,
        include_withdrawn=include_withdrawn and principal.role is Role.ADMIN,
    )
    number = await _judged_for(conn, principal, passbook)
    return Catalog(number, await _offers(conn, found, number, now))


async def see_reward(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    passbook: str | None = None,
    now: datetime | None = None,
) -> Catalog:
    """One reward as an offer (the catalog's one line), judged like :func:`browse_catalog`."""
    now = now or utcnow()
    found = await rewards.get_reward(conn, code)
    number = await _judged_for(conn, principal, passbook)
    return Catalog(number, await _offers(conn, [found], number, now))


async def _judged_for(
    conn: AsyncConnection, principal: Principal, number: str | None
) -> str | None:
    """The passbook the offers are judged for: a volunteer's own, or one staff may read."""
    if principal.role is Role.VOLUNTEER:
        if number not in (None, principal.scope):
            raise access.Forbidden(_("A volunteer can ask only about their own passbook."))
        return principal.scope
    if number is None:
        return None
    await access.passbook_read_by(conn, principal, number)
    return number


async def _offers(
    conn: AsyncConnection, found: list[rewards.Reward], number: str | None, now: datetime
) -> list[rewards.Offer]:
    if number is None:
        return [rewards.Offer(r) for r in found]
    volunteer = await rewards.find_volunteer(conn, number)
    balance = await ledger.get_balance(conn, volunteer.account_id)
    return [await rewards.offer(conn, r, volunteer, balance, now) for r in found]


async def add_reward(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str,
    kind: rewards.RewardKind,
    cost_points: int,
    merchant_code: str,
    org_unit_code: str | None = None,
    allocation: rewards.Allocation = rewards.Allocation.INSTANT,
    description: str = "",
    stock_total: int | None = None,
    monthly_quota: int | None = None,
    per_volunteer_limit: int | None = None,
    limit_period: rewards.LimitPeriod = rewards.LimitPeriod.MONTH,
    min_lifetime_points: int = 0,
    min_months_registered: int = 0,
    voucher_valid_days: int = 30,
    sale_starts_at: datetime | None = None,
    sale_ends_at: datetime | None = None,
    now: datetime | None = None,
) -> rewards.Reward:
    """Put a reward in the catalog for the volunteers of ``org_unit_code`` (default: the org
    unit the admin is scoped to). Admins only, and only in their own org unit; a code is used
    once."""
    access.require_role(principal, Role.ADMIN)
    unit_code = org_unit_code or principal.scope.rsplit("/", 1)[-1]
    spec = rewards.RewardSpec(
        code=code,
        name=name,
        kind=kind,
        cost_points=cost_points,
        merchant_code=merchant_code,
        org_unit_code=unit_code,
        allocation=allocation,
        description=description,
        stock_total=stock_total,
        monthly_quota=monthly_quota,
        per_volunteer_limit=per_volunteer_limit,
        limit_period=limit_period,
        min_lifetime_points=min_lifetime_points,
        min_months_registered=min_months_registered,
        voucher_valid_days=voucher_valid_days,
        sale_starts_at=sale_starts_at,
        sale_ends_at=sale_ends_at,
    )
    unit = await community.get_org_unit(conn, unit_code)
    require_admin_of(
        principal,
        unit.path,
        outside_admin_scope(principal, _("Org unit {code}", code=unit_code), unit.path),
    )
    return await rewards.add_reward(conn, spec, actor=principal.actor, now=now)


async def change_reward(
    conn: AsyncConnection, principal: Principal, *, code: str, changes: rewards.RewardChanges
) -> rewards.Reward:
    """Top up or cut a reward's stock (never below what vouchers took), change its quota,
    limit or sale end, withdraw or restore it. Admins only, of the reward's org unit."""
    access.require_role(principal, Role.ADMIN)
    current = await rewards.get_reward(conn, code)
    path = current.org_unit_path
    require_admin_of(
        principal, path, outside_admin_scope(principal, _("Reward {code}", code=code), path)
    )
    return await rewards.change_reward(conn, code, changes)
