"""Use cases on council members, each checking who may do it: add, list, step down.

Who may do what: an admin adds a member to a grid they administer (and names the member's own
passbook only if it is in their unit too) and steps down the members of their unit; admins
and council members list the members of their own unit, phones masked for all but admins.
Council tokens are issued by ``office.issue_credential``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
from access import Principal, Role
from i18n import N_, _

CODE_TAKEN_OUTSIDE = N_(
    "Council member code {code!r} is taken outside your unit; choose another code for this person."
)


@dataclass(frozen=True, slots=True)
class Appointment:
    """A council member as added, and whether this request added them (False: they already
    were, with the same data)."""

    member: community.CouncilMember
    created: bool


@dataclass(frozen=True, slots=True)
class CouncilListing:
    """The council members under one org unit (its code), by grid."""

    unit: str
    members: list[community.CouncilMember]


async def add_council_member(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str,
    grid: str,
    phone: str | None = None,
    passbook_number: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Add a council member to grid ``grid``; give their passbook number if they volunteer
    too, so they never score their own service.

    Who: an admin over the grid, and over the passbook's grid if one is named. Idempotent on
    the code: the same data again is no change; different data, or a member who stepped down,
    is a :class:`community.RegistrationConflict` (codes are never reused). A code taken by a
    member outside the admin's unit gets one answer (:data:`CODE_TAKEN_OUTSIDE`), whatever the
    request says, and no comparison with that member."""
    access.require_role(principal, Role.ADMIN)
    unit = await access.grid_administered_by(conn, principal, grid)
    existing = await community.find_council_member(conn, code)
    if existing is not None and not access.admin_over(principal, existing.grid_path):
        # Say nothing of the member: a comparison would confirm their name or phone.
        raise community.RegistrationConflict(_(CODE_TAKEN_OUTSIDE, code=code), member=code)
    if passbook_number is not None:
        await access.passbook_in_sight(
            conn,
            principal,
            community.normalise_passbook_number(passbook_number),
            lambda p, b: access.admin_over(p, b.grid_path),
        )
    member, created = await community.appoint_council_member(
        conn,
        code=code,
        name=name,
        grid_code=unit.code,
        phone=phone,
        passbook_number=passbook_number,
        now=now,
    )
    return Appointment(member, created)


async def list_council_members(
    conn: AsyncConnection,
    principal: Principal,
    *,
    unit: str | None = None,
    include_stepped_down: bool = False,
) -> CouncilListing:
    """The council members of every grid under org unit ``unit`` (the caller's own by
    default), by grid; those who stepped down only if asked.

    Who: admins and council members, in their own unit. Refuses a unit outside it."""
    access.require_role(principal, Role.ADMIN, Role.COUNCIL)
    code, path = await access.org_unit_listed_for(conn, principal, unit)
    members = await community.list_council_members(
        conn, under_path=path, include_stepped_down=include_stepped_down
    )
    return CouncilListing(code, members)


async def step_down_council_member(
    conn: AsyncConnection, principal: Principal, *, code: str
) -> community.CouncilMember:
    """A council member steps down: their tokens stop working from the next request.
    Stepping down twice changes nothing.

    Who: an admin above the member's grid."""
    access.require_role(principal, Role.ADMIN)
    await access.council_member_administered_by(conn, principal, code)
    return await community.step_down_council_member(conn, code)


__all__ = [
    "CODE_TAKEN_OUTSIDE",
    "Appointment",
    "CouncilListing",
    "add_council_member",
    "list_council_members",
    "step_down_council_member",
]
