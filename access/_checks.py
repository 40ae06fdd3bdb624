"""Who may do what: every scope rule of the service, each a named check.

Invariants protected here:

* admin and auditor principals hold an org unit and act or read only in its subtree; a
  council principal holds its member's grid; a volunteer holds one passbook; a merchant one
  merchant;
* a volunteer asking about another passbook is refused before the number is looked up, so a
  volunteer's credential cannot probe which numbers exist;
* a refusal names nothing outside the caller's scope that the caller did not already send;
* a passbook number outside the caller's scope is answered exactly as a number no passbook
  has: the same 403 (:func:`not_in_sight`), whatever the role; only staff of the whole street,
  who may read every passbook, are told 404 for an unknown number (to them nothing is hidden).

Predicates (``may_...``, ``admin_over``) answer yes or no; ``require_...`` raise
:class:`access.Forbidden`; the lookups (``passbook_read_by``, ``passbook_acted_for``,
``org_unit_in_scope``) find the thing and check it in one step. Use cases call these; the API's
guards only pre-check the role for a quick 403.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

import community
import db
import ledger
from access._principal import ORG_ROLES, Principal, Role, role_word
from access.errors import Forbidden
from i18n import N_, Message, _

OUTSIDE_ADMIN_SCOPE = N_(
    "{what} is outside this token's scope: an admin acts only under their own org unit."
)


def require_role(principal: Principal, *allowed: Role) -> None:
    """Refuse a principal whose role is not one of ``allowed``."""
    if principal.role not in allowed:
        names = community.listed([role_word(r) for r in allowed])
        raise Forbidden(
            _(
                "A {role} token cannot do this; it needs one of: {names}.",
                role=role_word(principal.role),
                names=names,
            )
        )


def require_council_member(principal: Principal) -> int:
    """The council member a council principal speaks for; refuses any other principal."""
    if principal.role is not Role.COUNCIL or principal.member_id is None:
        raise Forbidden(
            _("Only a council member's token can do this (it names the member who acts).")
        )
    return principal.member_id


def require_whole_books(principal: Principal) -> None:
    """Reports over the whole book need a principal scoped to the street itself."""
    if "/" in principal.scope:
        raise Forbidden(
            _(
                "The trial balance and verification cover the whole book; they need an "
                "admin or auditor token scoped to the street, not to one community or "
                "grid."
            )
        )


def org_unit_in_scope_of(principal: Principal, path: str) -> bool:
    """Whether the org unit at ``path`` lies in ``principal``'s own unit (its subtree)."""
    return principal.role in ORG_ROLES and community.within(path, principal.scope)


def require_in_scope(principal: Principal, path: str, what: str | Message) -> None:
    """Refuse unless the org unit at ``path`` lies in ``principal``'s own unit; ``what`` names
    the thing asked for as the caller named it."""
    if not community.within(path, principal.scope):
        raise Forbidden(
            _("{what} is outside this token's scope ({scope}).", what=what, scope=principal.scope)
        )


def admin_over(principal: Principal, path: str) -> bool:
    """Whether ``principal`` is an admin whose org unit holds the unit at ``path``: a grid's
    own staff (grid worker) or community or street staff above it."""
    return principal.role is Role.ADMIN and community.within(path, principal.scope)


def require_admin_over(principal: Principal, path: str, what: str | Message) -> None:
    if not admin_over(principal, path):
        raise Forbidden(_(OUTSIDE_ADMIN_SCOPE, what=what))


def may_read_passbook(principal: Principal, passbook: community.Passbook) -> bool:
    """The holder, the council of its grid, and admins and auditors above it."""
    if principal.role is Role.VOLUNTEER:
        return principal.scope == passbook.number
    if principal.role in ORG_ROLES:
        return community.within(passbook.grid_path, principal.scope)
    return False


def may_act_for(principal: Principal, passbook: community.Passbook) -> bool:
    """Whether ``principal`` may act as the holder of ``passbook``: the volunteer themself, or
    an admin (a grid worker or community staff) whose org unit holds the passbook's grid. The
    books record ``principal.actor``, so an act on someone's behalf says who did it."""
    if principal.role is Role.VOLUNTEER:
        return principal.scope == passbook.number
    if principal.role is Role.ADMIN:
        return community.within(passbook.grid_path, principal.scope)
    return False


async def can_see_accounts(
    conn: AsyncConnection, principal: Principal, account_ids: list[ledger.AccountId]
) -> dict[ledger.AccountId, bool]:
    """For each account, whether ``principal`` may see its balance and postings."""
    if principal.role is Role.VOLUNTEER:
        own = await community.find_passbook(conn, principal.scope)
        return {a: own is not None and a == own.account_id for a in account_ids}
    if principal.role in ORG_ROLES:
        paths = await community.org_paths_of_accounts(conn, account_ids)
        return {a: a in paths and community.within(paths[a], principal.scope) for a in account_ids}
    return dict.fromkeys(account_ids, False)


NOT_IN_SIGHT = N_(
    "Passbook {number} is outside this token's scope, or no passbook has this number: check "
    "the number on the cover."
)
"""The one answer to a passbook number a caller may not see and to one that does not exist."""


def sees_every_passbook(principal: Principal) -> bool:
    """Whether ``principal`` is staff of the whole street, who may read every passbook: to
    them, and only to them, an unknown number is told as unknown (404)."""
    return principal.role in ORG_ROLES and "/" not in principal.scope


def not_in_sight(number: str) -> Forbidden:
    """The refusal of passbook ``number`` (as the caller sent it) to a caller who may not see
    it, or when no passbook has that number: one answer, so a refusal never tells whether a
    number exists or in which grid."""
    return Forbidden(_(NOT_IN_SIGHT, number=number))


async def find_passbook(conn: AsyncConnection, number: str) -> community.Passbook:
    """The passbook numbered ``number``, or :class:`community.PassbookNotFound`. Only for
    callers to whom existence is no secret; use cases asked by a principal use
    :func:`passbook_in_sight`."""
    found = await community.find_passbook(conn, number)
    if found is None:
        raise community.PassbookNotFound(
            _("No passbook numbered {number!r}. Check the number on the cover.", number=number)
        )
    return found


async def passbook_in_sight(
    conn: AsyncConnection,
    principal: Principal,
    number: str,
    allowed: Callable[[Principal, community.Passbook], bool],
) -> community.Passbook:
    """The passbook numbered ``number`` if ``allowed(principal, passbook)``. A passbook it
    does not allow and a number no passbook has get the same 403 (:func:`not_in_sight`),
    except to staff of the whole street (:func:`sees_every_passbook`), who are told 404."""
    return passbook_seen(principal, number, await community.find_passbook(conn, number), allowed)


def passbook_seen(
    principal: Principal,
    number: str,
    found: community.Passbook | None,
    allowed: Callable[[Principal, community.Passbook], bool],
) -> community.Passbook:
    """As :func:`passbook_in_sight`, for the passbook (or None) already looked up by
    ``number``: the same passbook, or the same refusals."""
    if found is not None and allowed(principal, found):
        return found
    if found is None and sees_every_passbook(principal):
        raise community.PassbookNotFound(
            _("No passbook numbered {number!r}. Check the number on the cover.", number=number)
        )
    raise not_in_sight(number)


async def passbook_read_by(
    conn: AsyncConnection, principal: Principal, number: str
) -> community.Passbook:
    """The passbook, if ``principal`` may read it (see :func:`may_read_passbook`)."""
    _refuse_other_volunteer(principal, number)
    return await passbook_in_sight(conn, principal, number, may_read_passbook)


async def passbook_balance_read_by(
    conn: AsyncConnection, principal: Principal, number: str
) -> tuple[community.Passbook, ledger.Balance]:
    """The passbook and its balance, if ``principal`` may read it, refused exactly as
    :func:`passbook_read_by` refuses; one statement reads both (the hot balance read)."""
    _refuse_other_volunteer(principal, number)
    found = await community.find_passbook_with_balance(conn, number)
    passbook = passbook_seen(principal, number, found and found[0], may_read_passbook)
    assert found is not None
    return passbook, found[1]


def _refuse_other_volunteer(principal: Principal, number: str) -> None:
    # Before any lookup: a volunteer's credential cannot probe which numbers exist.
    if principal.role is Role.VOLUNTEER and principal.scope != number:
        raise Forbidden(_("A volunteer can read only their own passbook."))


async def passbook_acted_for(
    conn: AsyncConnection, principal: Principal, number: str | None
) -> community.Passbook:
    """The passbook ``principal`` acts for: a volunteer's own (``number`` may be left out), or
    one an admin's org unit holds (a grid worker acting on the holder's behalf)."""
    if number is None:
        if principal.role is not Role.VOLUNTEER:
            raise db.InvalidRequest(_("Say whose passbook: give 'passbook' (its number)."))
        number = principal.scope
    if principal.role is Role.VOLUNTEER and number != principal.scope:
        raise Forbidden(_("A volunteer can act only for their own passbook."))
    return await passbook_in_sight(conn, principal, number, may_act_for)


async def require_acts_for_number(
    conn: AsyncConnection, principal: Principal, number: str, refusal: str | Message
) -> None:
    """Refuse with ``refusal`` unless ``principal`` may act for passbook ``number``; the
    refusal names no passbook, so an id of something cannot be turned into whose it is."""
    if not may_act_for(principal, await find_passbook(conn, number)):
        raise Forbidden(refusal)


async def org_unit_in_scope(
    conn: AsyncConnection, principal: Principal, code: str
) -> community.OrgUnit:
    """The org unit ``code``, if it lies in ``principal``'s own unit."""
    unit = await community.get_org_unit(conn, code)
    if not community.within(unit.path, principal.scope):
        raise Forbidden(
            _(
                "{name} ({code}) is outside this token's scope ({scope}).",
                name=unit.name,
                code=code,
                scope=principal.scope,
            )
        )
    return unit


async def grid_administered_by(
    conn: AsyncConnection, principal: Principal, code: str
) -> community.OrgUnit:
    """The grid (or other unit) ``code``, if ``principal`` is an admin over it."""
    unit = await community.find_org_unit(conn, code)
    if unit is None:
        raise community.OrgUnitNotFound(_("No grid with code {code!r}.", code=code))
    require_admin_over(principal, unit.path, _("Grid {code!r}", code=code))
    return unit


# --- The registry's rules: who sees a volunteer, who administers one or a council member ----


def require_sees_volunteers(principal: Principal) -> None:
    """Volunteers' registrations are seen by admins, council members and volunteers only."""
    if principal.role not in (Role.ADMIN, Role.COUNCIL, Role.VOLUNTEER):
        raise Forbidden(
            _(
                "A {role} token cannot see volunteers' registrations.",
                role=role_word(principal.role),
            )
        )


async def volunteer_seen_by(
    conn: AsyncConnection, principal: Principal, number: str
) -> community.Volunteer:
    """The volunteer, if ``principal`` may see them at all: themself, the council of their
    grid, or an admin above it. A volunteer asking for someone else is refused before the
    number is even looked up, so tokens cannot probe which numbers exist; staff are answered
    alike for a number outside their unit and for one that does not exist."""
    require_sees_volunteers(principal)
    if principal.role is Role.VOLUNTEER and principal.scope != number:
        raise Forbidden(_("A volunteer can see only their own registration."))
    await passbook_in_sight(conn, principal, number, _sees_volunteer)
    return await community.get_volunteer(conn, number)


def _sees_volunteer(principal: Principal, passbook: community.Passbook) -> bool:
    if principal.role is Role.VOLUNTEER:
        return principal.scope == passbook.number
    return principal.role in (Role.ADMIN, Role.COUNCIL) and community.within(
        passbook.grid_path, principal.scope
    )


async def volunteer_administered_by(
    conn: AsyncConnection, principal: Principal, number: str
) -> community.Volunteer:
    """The volunteer, locked for the change to come, if ``principal`` is an admin above their
    grid (answered alike for a number outside the admin's unit and for an unknown one)."""
    await passbook_in_sight(conn, principal, number, lambda p, b: admin_over(p, b.grid_path))
    return await community.get_volunteer(conn, number, for_update=True)


async def council_member_administered_by(
    conn: AsyncConnection, principal: Principal, code: str
) -> community.CouncilMember:
    """The council member ``code``, if ``principal`` is an admin above their grid."""
    member = await community.find_council_member(conn, code)
    if member is None:
        raise community.CouncilMemberNotFound(_("No council member with code {code!r}.", code=code))
    require_admin_over(principal, member.grid_path, _("Council member {code!r}", code=code))
    return member


async def org_unit_listed_for(
    conn: AsyncConnection, principal: Principal, code: str | None
) -> tuple[str, str]:
    """The (code, path) of the org unit whose people ``principal`` lists: their own unit when
    ``code`` is None, else one inside it."""
    if code is None:
        return principal.scope.rsplit("/", 1)[-1], principal.scope
    found = await community.get_org_unit(conn, code)
    if not community.within(found.path, principal.scope):
        raise Forbidden(_(OUTSIDE_ADMIN_SCOPE, what=_("Org unit {code!r}", code=code)))
    return found.code, found.path
