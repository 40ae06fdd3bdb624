"""Use cases of the savings rules (储蓄细则) and love incentives (爱心激励).

Invariant: anyone signed in reads the rules and incentives; only community staff (an admin)
publish them, for an org unit inside their own, and only staff of the unit a rule belongs to
(or above it) publish a new version of it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import council
from access import Principal, Role
from i18n import _


async def list_rules(
    conn: AsyncConnection, principal: Principal, *, on: date | None = None
) -> list[council.SavingsRule]:
    """Every savings rule's versions, by code (or, with ``on``, the versions in force that
    day). Anyone signed in may read them."""
    return await council.list_rules(conn, on=on)


async def rule_versions(
    conn: AsyncConnection, principal: Principal, *, code: str
) -> list[council.SavingsRule]:
    """Every version of the savings rule ``code``, oldest first. Anyone signed in may read them;
    an unknown code is :class:`council.RuleNotFound`."""
    return await council.rule_versions(conn, code)


async def publish_rule(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str,
    category: str,
    points_per_unit: int,
    unit: str,
    daily_cap_units: int,
    valid_from: date,
    valid_to: date | None = None,
    org_unit: str,
) -> council.SavingsRule:
    """Publish a new savings rule (version 1) for the org unit ``org_unit`` and everything
    under it.

    Only an admin may, and only for a unit inside their own (:class:`access.Forbidden`
    otherwise); the rule's terms are checked by :func:`council.add_rule`."""
    access.require_role(principal, Role.ADMIN)
    await access.org_unit_in_scope(conn, principal, org_unit)
    return await council.add_rule(
        conn,
        code=code,
        name=name,
        category=category,
        points_per_unit=points_per_unit,
        unit=unit,
        daily_cap_units=daily_cap_units,
        valid_from=valid_from,
        valid_to=valid_to,
        org_code=org_unit,
        actor=principal.actor,
    )


async def revise_rule(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    valid_from: date,
    valid_to: date | None = None,
    name: str | None = None,
    category: str | None = None,
    points_per_unit: int | None = None,
    daily_cap_units: int | None = None,
) -> council.SavingsRule:
    """Change the savings rule ``code`` from ``valid_from``: a new version, while the sheets
    already scored keep theirs.

    Only an admin of the unit the rule belongs to, or of a unit above it, may; anyone else is
    refused with :class:`access.Forbidden`."""
    access.require_role(principal, Role.ADMIN)
    latest = (await council.rule_versions(conn, code))[-1]
    if not community.within(latest.org_path, principal.scope):
        raise access.Forbidden(
            _(
                "Rule {code!r} belongs to {org_path}; only staff of that unit (or above) "
                "may change it.",
                code=code,
                org_path=latest.org_path,
            )
        )
    return await council.revise_rule(
        conn,
        code=code,
        valid_from=valid_from,
        valid_to=valid_to,
        name=name,
        category=category,
        points_per_unit=points_per_unit,
        daily_cap_units=daily_cap_units,
        actor=principal.actor,
    )


async def list_incentives(conn: AsyncConnection, principal: Principal) -> list[council.Incentive]:
    """Every love incentive, by code. Anyone signed in may read them."""
    return await council.list_incentives(conn)


async def publish_incentive(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str,
    kind: str,
    threshold: int,
    bonus_points: int,
    org_unit: str,
) -> council.Incentive:
    """Publish a love incentive for the org unit ``org_unit`` and everything under it (the
    same terms again change nothing).

    Only an admin may, and only for a unit inside their own (:class:`access.Forbidden`
    otherwise); other terms under a known code are :class:`council.InvalidRule`."""
    access.require_role(principal, Role.ADMIN)
    await access.org_unit_in_scope(conn, principal, org_unit)
    return await council.add_incentive(
        conn,
        code=code,
        name=name,
        kind=kind,
        threshold=threshold,
        bonus_points=bonus_points,
        org_code=org_unit,
        actor=principal.actor,
    )
