"""The org tree, managed: communities under the street, grids under a community; renamed and
closed when the office reorganises.

Invariants protected here:

* an admin adds, renames and closes units only in their own unit's subtree: a community's
  admin adds grids in it, only an admin over the street adds communities, and a unit is
  closed by an admin above it (the operator at the command line may do all of it);
* each new unit opens its issuance account in the same transaction (:mod:`community`);
* adding a code again with the same kind, parent and name answers the unit (idempotent);
  anything else about a taken code is a conflict, and a code taken outside the caller's
  unit is refused without saying where it is;
* a unit is closed only when nothing in its subtree is still going: no active volunteer, no
  open scoring sheet (draft or submitted) and no open unit under it; the refusal says what
  is left. A closed unit keeps its history and takes nothing new; closing it again changes
  nothing. The street is never closed: it is the books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import council
import db
from access import Principal, Role
from community.services import OPERATOR
from i18n import Message, _
from office._books import clean_unit_name
from office.errors import OrgUnitNotEmpty
from scheme_time import utcnow

ADDED_KINDS = ("community", "grid")
"""The kinds of unit the office adds; the street is made once, by ``passbook init``."""
_SHOWN_SHEETS = 10  # sheets named in a refusal to close; the figures count them all
_MAX_SHEETS = 1000


@dataclass(frozen=True, slots=True)
class OrgUnitView:
    """An org unit as its staff see it: where it sits and how many active volunteers its
    subtree holds."""

    unit: community.OrgUnit
    parent_code: str | None
    active_volunteers: int


@dataclass(frozen=True, slots=True)
class OrgUnitAdded:
    """A unit added now (``created``) or found as it was asked for (a retry)."""

    view: OrgUnitView
    created: bool


@dataclass(frozen=True, slots=True)
class OrgTree:
    """The units a caller sees, by path: the subtree of their own unit (all, for the
    operator)."""

    scope: str
    units: list[OrgUnitView]


def _require_admin_over(principal: Principal, path: str, what: str | Message) -> None:
    access.require_role(principal, Role.ADMIN)
    if principal != OPERATOR:
        access.require_admin_over(principal, path, what)


async def _locked(conn: AsyncConnection, code: str) -> community.OrgUnit:
    unit = await community.find_org_unit(conn, code, for_update=True)
    if unit is None:
        raise community.OrgUnitNotFound(_("No org unit with code {code!r}.", code=code))
    return unit


async def add_org_unit(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str,
    kind: str,
    parent_code: str,
) -> OrgUnitAdded:
    """Add a community under the street or a grid under a community, with its issuance
    account; the same code, kind, parent and name again answers the unit as it is.

    Who: an admin over ``parent_code`` (or the operator). Refuses another kind than community
    or grid, a parent of the wrong kind (:class:`community.RegistryError`), a closed parent
    (:class:`community.OrgUnitClosed`), a code taken by another unit or under another name
    (:class:`community.OrgUnitConflict`)."""
    access.require_role(principal, Role.ADMIN)
    if kind not in ADDED_KINDS:
        raise community.RegistryError(
            _(
                "Add a community (under the street) or a grid (under a community), not "
                "a {kind!r}; the street is made once, by 'passbook init'.",
                kind=kind,
            )
        )
    name = clean_unit_name(name)
    parent = await community.get_org_unit(conn, parent_code)
    _require_admin_over(principal, parent.path, _("Org unit {code!r}", code=parent_code))
    existing = await community.find_org_unit(conn, code)
    if existing is not None:
        if principal != OPERATOR and not community.within(existing.path, principal.scope):
            raise community.OrgUnitConflict(
                _(
                    "Org unit code {code!r} is taken by a unit outside this token's scope; "
                    "choose another code.",
                    code=code,
                ),
                org_unit=code,
            )
        if existing.kind != kind or existing.parent_id != parent.id:
            raise community.OrgUnitConflict(
                _(
                    "Org unit {code!r} already exists as a {kind} under {parent}; choose "
                    "another code for a new {new_kind}.",
                    code=code,
                    kind=community.kind_word(existing.kind),
                    parent=_parent_code(existing),
                    new_kind=community.kind_word(kind),
                ),
                org_unit=code,
                kind=existing.kind,
            )
        if existing.name != name:
            raise community.OrgUnitConflict(
                _(
                    "Org unit {code!r} already exists, named {name!r}; to change its name, "
                    "rename it (PATCH /api/org-units/{{code}}, 'passbook org rename').",
                    code=code,
                    name=existing.name,
                ),
                org_unit=code,
                name=existing.name,
            )
        return OrgUnitAdded(await unit_view(conn, existing), created=False)
    unit = await community.add_org_unit(
        conn, code=code, name=name, kind=kind, parent_code=parent.code, new_only=True
    )
    return OrgUnitAdded(OrgUnitView(unit, parent.code, 0), created=True)


async def list_org_units(conn: AsyncConnection, principal: Principal) -> OrgTree:
    """The units of the caller's own subtree (every unit, for the operator), by path, each
    with its parent and how many active volunteers its subtree holds.

    Who: admins, auditors and council members (a council member sees their grid)."""
    access.require_role(principal, Role.ADMIN, Role.AUDITOR, Role.COUNCIL)
    scope = None if principal == OPERATOR else principal.scope
    units = await community.list_org_units(conn, scope)
    active = await _active_by_grid(conn, [u.id for u in units if u.kind == "grid"])
    grid_paths = {u.path: active.get(u.id, 0) for u in units if u.kind == "grid"}
    views = []
    for unit in units:
        count = sum(n for path, n in grid_paths.items() if community.within(path, unit.path))
        views.append(OrgUnitView(unit, _parent_code(unit), count))
    return OrgTree(scope or "", views)


async def rename_org_unit(
    conn: AsyncConnection, principal: Principal, *, code: str, name: str
) -> OrgUnitView:
    """Give a unit a new name; its code and path, which the books refer to, stay.

    Who: an admin of the unit or above it (or the operator)."""
    access.require_role(principal, Role.ADMIN)
    name = clean_unit_name(name)
    unit = await _locked(conn, code)
    _require_admin_over(principal, unit.path, _("Org unit {code!r}", code=code))
    if unit.name != name:
        unit = await community.rename_org_unit(conn, unit, name)
    return await unit_view(conn, unit)


async def close_org_unit(
    conn: AsyncConnection, principal: Principal, *, code: str, now: datetime | None = None
) -> OrgUnitView:
    """Close a community or grid: its history stays, it takes nothing new. Closing a closed
    unit again changes nothing.

    Who: an admin above the unit (or the operator); the street is never closed. Refuses
    (:class:`office.OrgUnitNotEmpty`, saying what is left) while its subtree has active
    volunteers, open scoring sheets (draft or submitted) or open units under it."""
    access.require_role(principal, Role.ADMIN)
    unit = await _locked(conn, code)
    if unit.parent_path is None:
        if principal != OPERATOR:
            access.require_admin_over(principal, unit.path, _("Org unit {code!r}", code=code))
        raise community.RegistryError(
            _(
                "{name} ({code}) is the street: it is the books themselves and is "
                "never closed. Close its communities and grids instead.",
                name=unit.name,
                code=code,
            )
        )
    _require_admin_over(principal, unit.parent_path, _("Closing org unit {code!r}", code=code))
    if unit.closed:
        return await unit_view(conn, unit)
    await _require_empty(conn, unit)
    closed = await community.close_org_unit(conn, unit, actor=principal.actor, now=now or utcnow())
    return await unit_view(conn, closed)


async def change_org_unit(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    name: str | None = None,
    close: bool = False,
    now: datetime | None = None,
) -> OrgUnitView:
    """Rename and/or close a unit in one transaction (:func:`rename_org_unit`, then
    :func:`close_org_unit`, with their rules); neither asked is a
    :class:`db.InvalidRequest`."""
    if name is None and not close:
        raise db.InvalidRequest(_("Say what to change: a new 'name', or 'closed': true."))
    view = None
    if name is not None:
        view = await rename_org_unit(conn, principal, code=code, name=name)
    if close:
        view = await close_org_unit(conn, principal, code=code, now=now)
    assert view is not None
    return view


async def unit_view(conn: AsyncConnection, unit: community.OrgUnit) -> OrgUnitView:
    """``unit`` with its parent's code and its subtree's active volunteers."""
    return OrgUnitView(unit, _parent_code(unit), await _active_under(conn, unit.path))


def _parent_code(unit: community.OrgUnit) -> str | None:
    return unit.parent_path.rsplit("/", 1)[-1] if unit.parent_path else None


async def _require_empty(conn: AsyncConnection, unit: community.OrgUnit) -> None:
    active = await _active_under(conn, unit.path)
    sheets: list[int] = []
    for status in (council.SheetStatus.DRAFT, council.SheetStatus.SUBMITTED):
        found = await council.list_sheets(conn, scope=unit.path, status=status, limit=_MAX_SHEETS)
        sheets += [s.id for s in found]
    children = [
        u.code
        for u in await community.list_org_units(conn, unit.path)
        if u.parent_id == unit.id and not u.closed
    ]
    if not (active or sheets or children):
        return
    left: list[Message] = []
    if active:
        left.append(
            _(
                "{active} active volunteer(s): move them to another grid or mark them moved away",
                active=active,
            )
        )
    if sheets:
        shown = ", ".join(str(i) for i in sorted(sheets)[:_SHOWN_SHEETS])
        left.append(
            _(
                "{count} open scoring sheet(s) (ids {shown} and {more} more): approve, reject "
                "or delete them",
                count=len(sheets),
                shown=shown,
                more=len(sheets) - _SHOWN_SHEETS,
            )
            if len(sheets) > _SHOWN_SHEETS
            else _(
                "{count} open scoring sheet(s) (ids {shown}): approve, reject or delete them",
                count=len(sheets),
                shown=shown,
            )
        )
    if children:
        left.append(
            _(
                "{count} open unit(s) under it ({codes}): close them first",
                count=len(children),
                codes=", ".join(children),
            )
        )
    raise OrgUnitNotEmpty(
        _(
            "{name} ({code}) cannot be closed yet; it still has {left}.",
            name=unit.name,
            code=unit.code,
            left=community.listed_by_semicolons(left),
        ),
        org_unit=unit.code,
        active_volunteers=active,
        open_sheets=sorted(sheets),
        open_units=children,
    )


async def _active_under(conn: AsyncConnection, path: str) -> int:
    v, o = community.volunteer, community.org_unit
    count = await conn.scalar(
        select(func.count())
        .select_from(v.join(o, o.c.id == v.c.grid_id))
        .where(v.c.status == community.VolunteerStatus.ACTIVE.value, community.under(path))
    )
    return int(count or 0)


async def _active_by_grid(conn: AsyncConnection, grid_ids: list[int]) -> dict[int, int]:
    if not grid_ids:
        return {}
    v = community.volunteer
    rows = await conn.execute(
        select(v.c.grid_id, func.count())
        .where(v.c.status == community.VolunteerStatus.ACTIVE.value, v.c.grid_id.in_(grid_ids))
        .group_by(v.c.grid_id)
    )
    return {grid: int(n) for grid, n in rows}


__all__ = [
    "ADDED_KINDS",
    "OrgTree",
    "OrgUnitAdded",
    "OrgUnitView",
    "add_org_unit",
    "change_org_unit",
    "close_org_unit",
    "list_org_units",
    "rename_org_unit",
    "unit_view",
]
