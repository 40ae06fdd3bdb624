"""Council members: the people with the council role in one grid, who score its volunteers.

Invariants: a member sits on exactly one grid; a passbook belongs to at most one member (a
member who volunteers too names their passbook, so they can never score their own service);
adding is idempotent on the code: the same data again returns the member, different data or a
member who stepped down is a :class:`RegistrationConflict`, as codes are never reused; stepping
down is for good and stops the member's tokens from the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
from community._cleaning import clean_name, clean_passbook_number, clean_phone, is_code
from community._org_units import find_org_unit, under
from community._passbooks import find_passbook
from community._tables import council_member, org_unit, volunteer
from community._words import kind_word, listed
from community.errors import (
    CouncilMemberCodeRace,
    CouncilMemberNotFound,
    InvalidPerson,
    OrgUnitNotFound,
    PassbookNotFound,
    RegistrationConflict,
)
from db import metadata
from i18n import _

_DIFFERENCE_WORDS = {
    "name": _("name"),
    "grid": _("grid"),
    "phone": _("phone"),
    "leaderboard choice": _("leaderboard choice"),
    "joining day": _("joining day"),
    "passbook": _("passbook"),
}
"""The words a refusal names a stored field by, in the reader's language."""


@dataclass(frozen=True, slots=True)
class CouncilMember:
    """A person with the council role in one grid."""

    id: int
    code: str
    name: str
    grid_code: str
    grid_path: str
    active: bool
    volunteer_id: int | None
    phone: str | None = None
    grid_name: str = ""
    passbook_number: str | None = None


async def add_council_member(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
    passbook_number: str | None = None,
    now: datetime | None = None,
) -> CouncilMember:
    """Add a council member to a grid. Give their passbook number if they volunteer too, so
    they can never score their own service.

    Idempotent on the code: the same data again returns the member; different data, or a
    member who stepped down, is a :class:`RegistrationConflict` (codes are never reused)."""
    member, _created = await appoint_council_member(
        conn,
        code=code,
        name=name,
        grid_code=grid_code,
        phone=phone,
        passbook_number=passbook_number,
        now=now,
    )
    return member


async def appoint_council_member(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
    passbook_number: str | None = None,
    now: datetime | None = None,
) -> tuple[CouncilMember, bool]:
    """:func:`add_council_member`, also telling whether this call added them."""
    if not is_code(code):
        raise InvalidPerson(
            _(
                "Council member code {code!r} must be 1-40 lower-case letters, digits or dashes.",
                code=code,
            )
        )
    name = clean_name(name, who=_("A council member"))
    phone = clean_phone(phone)
    grid = await find_org_unit(conn, grid_code)
    if grid is None:
        raise OrgUnitNotFound(
            _("No grid with code {grid_code!r}; a council sits on one grid.", grid_code=grid_code)
        )
    if grid.kind != "grid":
        raise InvalidPerson(
            _(
                "{grid_code!r} is a {kind}, not a grid: a council member sits on one grid.",
                grid_code=grid_code,
                kind=kind_word(grid.kind),
            )
        )
    passbook = None
    if passbook_number is not None:
        passbook = await find_passbook(conn, clean_passbook_number(passbook_number))
        if passbook is None:
            raise PassbookNotFound(
                _("No passbook numbered {passbook_number!r}.", passbook_number=passbook_number)
            )
    if existing := await find_council_member(conn, code):
        differences = [
            what
            for what, stored, asked in [
                ("grid", existing.grid_code, grid.code),
                ("name", existing.name, name),
                ("phone", existing.phone, phone),
                (
                    "passbook",
                    existing.passbook_number,
                    None if passbook is None else passbook.number,
                ),
            ]
            if stored != asked
        ]
        if differences:
            raise RegistrationConflict(
                _(
                    "Council member {code!r} already exists with a different {differences}; "
                    "choose another code for another person.",
                    code=code,
                    differences=listed([_DIFFERENCE_WORDS.get(d, d) for d in differences]),
                ),
                member=code,
                differs=differences,
            )
        if not existing.active:
            raise RegistrationConflict(
                _(
                    "Council member {code!r} stepped down; codes are not reused, so add "
                    "them again under a new code.",
                    code=code,
                ),
                member=code,
            )
        return existing, False
    if passbook is not None:
        holder = await conn.scalar(
            select(council_member.c.code).where(
                council_member.c.volunteer_id == passbook.volunteer_id
            )
        )
        if holder is not None:
            raise RegistrationConflict(
                _(
                    "Passbook {number} already belongs to council member {holder!r}.",
                    number=passbook.number,
                    holder=holder,
                ),
                member=holder,
            )
    try:
        await conn.execute(
            council_member.insert().values(
                code=code,
                name=name,
                grid_id=grid.id,
                phone=phone,
                volunteer_id=None if passbook is None else passbook.volunteer_id,
                created_at=now or datetime.now(UTC),
            )
        )
    except IntegrityError as error:
        # Two admins adding the same code at once: the loser runs again and finds the member.
        if db.constraint_name(error, metadata) == "uq_council_member_code":
            raise CouncilMemberCodeRace(code) from error
        raise
    found = await find_council_member(conn, code)
    assert found is not None
    return found, True


def _council_member_query() -> Select[Any]:
    return (
        select(
            council_member.c.id,
            council_member.c.code,
            council_member.c.name,
            org_unit.c.code,
            org_unit.c.path,
            council_member.c.active,
            council_member.c.volunteer_id,
            council_member.c.phone,
            org_unit.c.name,
            volunteer.c.passbook_number,
        )
        .join(org_unit, org_unit.c.id == council_member.c.grid_id)
        .outerjoin(volunteer, volunteer.c.id == council_member.c.volunteer_id)
    )


async def find_council_member(conn: AsyncConnection, code: str) -> CouncilMember | None:
    row = (await conn.execute(_council_member_query().where(council_member.c.code == code))).first()
    return None if row is None else CouncilMember(*row)


async def get_council_member(conn: AsyncConnection, member_id: int) -> CouncilMember | None:
    row = (
        await conn.execute(_council_member_query().where(council_member.c.id == member_id))
    ).first()
    return None if row is None else CouncilMember(*row)


async def list_council_members(
    conn: AsyncConnection, *, under_path: str, include_stepped_down: bool = False
) -> list[CouncilMember]:
    """The council members of every grid under the org unit at ``under_path``, by grid."""
    query = _council_member_query().where(under(under_path))
    if not include_stepped_down:
        query = query.where(council_member.c.active.is_(True))
    rows = await conn.execute(query.order_by(org_unit.c.path, council_member.c.code))
    return [CouncilMember(*row) for row in rows]


async def step_down_council_member(conn: AsyncConnection, code: str) -> CouncilMember:
    """Mark a council member as stepped down: their tokens stop working from the next request.
    Stepping down twice changes nothing."""
    member = await find_council_member(conn, code)
    if member is None:
        raise CouncilMemberNotFound(_("No council member with code {code!r}.", code=code))
    if member.active:
        await conn.execute(
            update(council_member).where(council_member.c.id == member.id).values(active=False)
        )
        member = await get_council_member(conn, member.id)
        assert member is not None
    return member


__all__ = [
    "CouncilMember",
    "add_council_member",
    "appoint_council_member",
    "find_council_member",
    "get_council_member",
    "list_council_members",
    "step_down_council_member",
]
