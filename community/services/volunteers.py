"""Use cases on volunteers, each checking who may do it: register, see, list, change, mark,
move, their moves, and their sign-in PIN.

Who may do what: an admin acts only under their org unit (a grid's admin is its grid worker,
a community's its staff); a council member may see and list the volunteers of their own grid;
a volunteer may see themself and change their own phone and leaderboard choice. Every refusal
is an :class:`access.Forbidden` or a registry error, whoever asks (API, pages, command line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
from access import Forbidden, Principal, Role
from i18n import _
from scheme_time import utcnow


@dataclass(frozen=True, slots=True)
class Registration:
    """A volunteer as registered, and whether this request registered them (False: they
    already were, with the same data)."""

    volunteer: community.Volunteer
    created: bool


@dataclass(frozen=True, slots=True)
class VolunteerListing:
    """A page of the volunteers under one org unit (its code), with how many match."""

    unit: str
    page: community.VolunteerPage


@dataclass(frozen=True, slots=True)
class Moved:
    """A volunteer after a move between grids, and the move as recorded."""

    volunteer: community.Volunteer
    move: community.VolunteerMove


@dataclass(frozen=True, slots=True)
class MoveHistory:
    """A volunteer and every move of theirs between grids, oldest first."""

    volunteer: community.Volunteer
    moves: list[community.VolunteerMove]


async def register_volunteer(
    conn: AsyncConnection,
    principal: Principal,
    *,
    passbook_number: str,
    name: str,
    grid: str,
    phone: str | None = None,
    leaderboard_opt_out: bool = False,
    joined_on: date | None = None,
    now: datetime | None = None,
) -> Registration:
    """Register a volunteer in grid ``grid`` and open their passbook; ``joined_on`` is the day
    they joined the scheme (入册日期: today unless a paper passbook says otherwise).

    Who: an admin over the grid. Refuses another role or a grid outside the admin's unit
    (:class:`access.Forbidden`), an unknown grid, a number registered with other data
    (:class:`community.RegistrationConflict`: which data differ is told only if the number is
    in the admin's unit; outside it one answer, :data:`REGISTERED_OUTSIDE`, whatever is sent), a closed grid (:class:`community.OrgUnitClosed`)
    and a new number that differs from a registered one only by O/0, I/1 or L/1
    (:class:`community.PassbookNumberLookalike`, naming it if the admin is over its grid);
    the same data again is no change."""
    access.require_role(principal, Role.ADMIN)
    unit = await access.grid_administered_by(conn, principal, grid)
    await _require_number_in_unit(conn, principal, passbook_number)
    try:
        passbook, created = await community.enrol_volunteer(
            conn,
            passbook_number=passbook_number,
            name=name,
            grid_code=unit.code,
            phone=phone,
            leaderboard_opt_out=leaderboard_opt_out,
            joined_on=joined_on,
            now=now,
        )
    except community.PassbookNumberLookalike as error:
        if access.admin_over(principal, error.existing_grid_path):
            raise
        # The lookalike is someone outside this admin's unit: say so without naming them.
        raise community.PassbookNumberLookalike(
            _(
                "Passbook number {passbook_number} differs from a registered number "
                "outside your unit only by O/0, I/1 or L/1 and is most likely a typo: "
                "check the number on the cover.",
                passbook_number=error.figures["passbook_number"],
            ),
            passbook_number=error.figures["passbook_number"],
        ) from None
    return Registration(await community.get_volunteer(conn, passbook.number), created)


REGISTERED_OUTSIDE = _(
    "This passbook number is registered outside your unit; check the number on the cover or "
    "ask the street office."
)


async def _require_number_in_unit(
    conn: AsyncConnection, principal: Principal, passbook_number: str
) -> None:
    """Refuse a number already registered outside the admin's unit with one answer, whatever
    the request says of the person: no comparison of their name, grid, phone or joining day
    is told (that would confirm data the admin may not see, or let them guess a phone)."""
    found = await community.find_passbook(
        conn, community.normalise_passbook_number(passbook_number)
    )
    if found is not None and not access.admin_over(principal, found.grid_path):
        raise community.RegistrationConflict(REGISTERED_OUTSIDE, passbook_number=found.number)


async def see_volunteer(
    conn: AsyncConnection, principal: Principal, *, number: str
) -> community.Volunteer:
    """One volunteer's registration.

    Who: the volunteer themself, the council of their grid, an admin above it. A volunteer
    asking for another number is refused before it is looked up; an auditor or merchant is
    refused at once."""
    return await access.volunteer_seen_by(conn, principal, number)


async def list_volunteers(
    conn: AsyncConnection,
    principal: Principal,
    *,
    unit: str | None = None,
    status: community.VolunteerStatus | str | None = None,
    after: str | None = None,
    limit: int = 50,
    search: str | None = None,
) -> VolunteerListing:
    """The volunteers of every grid under org unit ``unit`` (the caller's own by default), by
    passbook number, ``limit`` at a time after the number ``after``; with ``search``, those
    whose passbook number starts with it or whose name contains it.

    Who: admins and council members, in their own unit. Refuses a unit outside it."""
    access.require_role(principal, Role.ADMIN, Role.COUNCIL)
    code, path = await access.org_unit_listed_for(conn, principal, unit)
    page = await community.list_volunteers(
        conn,
        under_path=path,
        status=status,
        after=after,
        limit=limit,
        search=search,
    )
    return VolunteerListing(code, page)


async def change_volunteer(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    name: str | None = None,
    phone: str | community.Keep | None = community.KEEP,
    leaderboard_opt_out: bool | None = None,
) -> community.Volunteer:
    """Change a volunteer's name, phone (None removes it) or leaderboard choice; what is left
    out (None, or :data:`community.KEEP` for the phone) stays as it is.

    Who: an admin above their grid changes any of them; the volunteer themself their phone
    and leaderboard choice, never their name (the grid worker checks names). Refuses anyone
    else, without telling anyone whether a number outside their scope exists."""
    if principal.role is Role.VOLUNTEER and principal.scope != number:
        raise Forbidden(
            _("Only the volunteer themself or an admin above their grid may change their details.")
        )
    await access.passbook_in_sight(conn, principal, number, access.may_act_for)
    if name is not None and principal.role is not Role.ADMIN:
        raise Forbidden(_("A name is changed by the grid worker, who checks it; ask them."))
    return await community.update_volunteer(
        conn, number, name=name, phone=phone, leaderboard_opt_out=leaderboard_opt_out
    )


async def set_volunteer_status(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    status: community.VolunteerStatus | str,
    now: datetime | None = None,
) -> community.Volunteer:
    """Mark a volunteer active or moved away. A moved-away volunteer cannot sign in, and every
    token of their passbook is revoked in the same transaction (recording who did it), so
    making them active again later brings no old token back: they sign in anew. Making active
    a volunteer who had moved away revokes any token left from before too. The passbook and
    its history stay.

    Who: an admin above their grid. Refuses anyone else and an unknown status."""
    access.require_role(principal, Role.ADMIN)
    before = await access.volunteer_administered_by(conn, principal, number)
    changed = await community.set_volunteer_status(conn, number, status)
    if community.VolunteerStatus.MOVED_AWAY in (before.status, changed.status):
        await access.revoke_passbook_tokens(
            conn, changed.passbook_number, actor=principal.actor, now=now or utcnow()
        )
    return changed


async def move_volunteer(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    to_grid: str,
    now: datetime | None = None,
) -> Moved:
    """Move a volunteer to grid ``to_grid``; their passbook (number, account, history) stays
    and the move is recorded with who made it.

    Who: an admin over both the old and the new grid (their community's staff, or the
    street's). Refuses a move to the same grid or to a unit that is not a grid."""
    access.require_role(principal, Role.ADMIN)
    await access.volunteer_administered_by(conn, principal, number)
    grid = await community.target_grid(conn, to_grid)
    if not access.admin_over(principal, grid.path):
        raise Forbidden(
            _(
                "Grid {code!r} is outside this token's scope: moving a volunteer needs "
                "an admin over both the old and the new grid (their community's staff, "
                "or the street's).",
                code=grid.code,
            )
        )
    moved, move = await community.move_volunteer(
        conn, number, to_grid_code=grid.code, actor=principal.actor, now=now
    )
    return Moved(moved, move)


async def volunteer_moves(
    conn: AsyncConnection, principal: Principal, *, number: str
) -> MoveHistory:
    """A volunteer's moves between grids, oldest first.

    Who: whoever may see the volunteer (see :func:`see_volunteer`)."""
    found = await access.volunteer_seen_by(conn, principal, number)
    return MoveHistory(found, await community.volunteer_moves(conn, found.passbook_number))


async def set_pin(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    pin: str,
    now: datetime | None = None,
) -> community.Volunteer:
    """Set or reset a volunteer's sign-in PIN (4 to 6 digits, not easy to guess). It clears
    the count of wrong PINs and any lock, and signs the volunteer out of every session opened
    with the old PIN. Only a salted scrypt hash is stored.

    Who: an admin above their grid (their grid worker). A weak or malformed PIN is refused
    before anything is looked up or locked."""
    access.require_role(principal, Role.ADMIN)
    community.check_pin_rules(pin)
    await access.volunteer_administered_by(conn, principal, number)
    changed = await community.set_pin(conn, number, pin)
    await access.revoke_sign_ins(conn, changed.passbook_number, now or utcnow())
    return changed


__all__ = [
    "REGISTERED_OUTSIDE",
    "MoveHistory",
    "Moved",
    "Registration",
    "VolunteerListing",
    "change_volunteer",
    "list_volunteers",
    "move_volunteer",
    "register_volunteer",
    "see_volunteer",
    "set_pin",
    "set_volunteer_status",
    "volunteer_moves",
]
