"""The org tree: street > community > grid, each unit with a code and a path.

Invariants: a grid's parent is a community and a community's parent a street; a unit's path
is its parent's path, a slash and its code, so "in the subtree of" is a prefix test on paths;
every unit (the street included) has an issuance account (it may go negative: it shows the
points put into circulation). Adding a unit is idempotent on its code: the same code again
with the same kind and parent returns the unit, as another kind or under another parent it is
refused. A closed unit keeps its history but takes nothing new: no child units here, and the
use cases that add volunteers, sheets or credentials read it with :func:`get_open_org_unit`,
which holds it against a concurrent close until they commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import ledger
from community._cleaning import is_code
from community._tables import org_unit
from community._words import kind_word
from community.errors import (
    OrgUnitClosed,
    OrgUnitCodeRace,
    OrgUnitConflict,
    OrgUnitNotFound,
    RegistryError,
)
from i18n import Message, _

ISSUANCE_KIND = "issuance"
_IT = _("It")
"""What a closed unit refuses, when the caller names nothing."""

_PARENT_KIND = {"community": "street", "grid": "community"}


@dataclass(frozen=True, slots=True)
class OrgUnit:
    id: int
    code: str
    name: str
    kind: str
    path: str
    issuance_account_id: ledger.AccountId | None
    parent_id: int | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def parent_path(self) -> str | None:
        """The path of the unit above this one (None for the street)."""
        return self.path.rsplit("/", 1)[0] if "/" in self.path else None


def require_open(unit: OrgUnit, what: str | Message = _IT) -> None:
    """Refuse (:class:`community.OrgUnitClosed`) to add ``what`` to a closed unit."""
    if unit.closed_at is not None:
        raise OrgUnitClosed(
            _(
                "{name} ({code}) was closed on {closed_at:%Y-%m-%d}; {what} cannot be "
                "added to a closed unit. Its history stays; choose an open unit.",
                name=unit.name,
                code=unit.code,
                closed_at=unit.closed_at,
                what=what,
            ),
            org_unit=unit.code,
            closed_at=unit.closed_at.isoformat(),
        )


async def add_org_unit(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    new_only: bool = False,
) -> OrgUnit:
    """Add a street, community or grid with its issuance account (or return the existing one
    with that code, kind and parent). A closed parent takes no new units. With ``new_only``,
    a unit that appeared since the caller looked (a concurrent add committed while this one
    waited for the parent's row) is an :class:`OrgUnitCodeRace`: the caller's use case runs
    again and finds it, so it can tell it did not add it."""
    if not is_code(code):
        raise RegistryError(
            _(
                "Org unit code {code!r} must be 1-40 lower-case letters, digits or dashes.",
                code=code,
            )
        )
    if kind not in ("street", *_PARENT_KIND):
        raise RegistryError(
            _("Unknown org unit kind {kind!r}: use street, community or grid.", kind=kind)
        )
    if kind == "street" and parent_code is not None:
        raise RegistryError(_("A street is the top of the tree and has no parent."))
    parent = None
    if kind != "street":
        parent = await _parent(conn, kind, parent_code)
    if existing := await find_org_unit(conn, code):
        if existing.kind != kind or existing.parent_id != (parent.id if parent else None):
            said = (
                _(
                    "Org unit {code!r} already exists as a {kind} under {parent}; choose "
                    "another code for a new unit.",
                    code=code,
                    kind=kind_word(existing.kind),
                    parent=existing.parent_path.rsplit("/", 1)[-1],
                )
                if existing.parent_path
                else _(
                    "Org unit {code!r} already exists as a {kind}; choose another code for a "
                    "new unit.",
                    code=code,
                    kind=kind_word(existing.kind),
                )
            )
            raise OrgUnitConflict(
                said,
                org_unit=code,
                kind=existing.kind,
            )
        if new_only:
            raise OrgUnitCodeRace(code)
        return existing
    if parent is not None:
        require_open(parent, _("a new {kind}", kind=kind_word(kind)))
    issuance = await ledger.open_account(
        conn, kind=ISSUANCE_KIND, owner_ref=f"org:{code}", allow_negative=True
    )
    try:
        await conn.execute(
            org_unit.insert().values(
                code=code,
                name=name,
                kind=kind,
                parent_id=parent.id if parent else None,
                path=f"{parent.path}/{code}" if parent else code,
                issuance_account_id=issuance,
                created_at=datetime.now(UTC),
            )
        )
    except IntegrityError as error:
        # Two adds of one code at once: the loser runs again and finds the unit.
        if db.constraint_name(error, db.metadata) in ("uq_org_unit_code", "uq_org_unit_path"):
            raise OrgUnitCodeRace(code) from error
        raise
    found = await find_org_unit(conn, code)
    assert found is not None
    return found


async def _parent(conn: AsyncConnection, kind: str, parent_code: str | None) -> OrgUnit:
    """The unit a new ``kind`` goes under, held against a concurrent close (on PostgreSQL)."""
    parent = await find_org_unit(conn, parent_code or "", lock=True)
    if parent is None or parent.kind != _PARENT_KIND[kind]:
        raise RegistryError(
            _(
                "A {kind} belongs to a {parent_kind}; {parent_code!r} is not one.",
                kind=kind_word(kind),
                parent_kind=kind_word(_PARENT_KIND[kind]),
                parent_code=parent_code,
            )
        )
    return parent


async def find_org_unit(
    conn: AsyncConnection, code: str, *, lock: bool = False, for_update: bool = False
) -> OrgUnit | None:
    """The unit ``code``, or None. ``lock`` holds its row until commit against a close (a
    shared lock: adders do not wait for each other); ``for_update`` takes it for a change.
    Either is a no-op on SQLite, whose write transactions run one at a time."""
    query = select(org_unit).where(org_unit.c.code == code)
    if for_update:
        query = query.with_for_update()
    elif lock:
        query = query.with_for_update(read=True)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return OrgUnit(
        row.id,
        row.code,
        row.name,
        row.kind,
        row.path,
        row.issuance_account_id,
        row.parent_id,
        row.closed_at,
        row.closed_by,
    )


async def get_org_unit(conn: AsyncConnection, code: str) -> OrgUnit:
    """The org unit ``code``, or :class:`community.OrgUnitNotFound`."""
    found = await find_org_unit(conn, code)
    if found is None:
        raise OrgUnitNotFound(_("No org unit with code {code!r}.", code=code))
    return found


async def get_open_org_unit(conn: AsyncConnection, code: str, what: str | Message = _IT) -> OrgUnit:
    """The org unit ``code`` if it is open, held (a shared row lock on PostgreSQL) until the
    caller commits, so a concurrent close either waits for the caller's addition and then
    sees it, or commits first and this refuses (:class:`community.OrgUnitClosed`). Use it
    in every use case that adds ``what`` (a volunteer, a sheet, a credential) to a unit."""
    found = await find_org_unit(conn, code, lock=True)
    if found is None:
        raise OrgUnitNotFound(_("No org unit with code {code!r}.", code=code))
    require_open(found, what)
    return found


async def list_org_units(conn: AsyncConnection, scope: str | None) -> list[OrgUnit]:
    """The units in the subtree rooted at path ``scope`` (every unit when None), by path."""
    query = select(org_unit).order_by(org_unit.c.path)
    if scope is not None:
        query = query.where(under(scope))
    return [
        OrgUnit(
            r.id,
            r.code,
            r.name,
            r.kind,
            r.path,
            r.issuance_account_id,
            r.parent_id,
            r.closed_at,
            r.closed_by,
        )
        for r in await conn.execute(query)
    ]


async def rename_org_unit(conn: AsyncConnection, unit: OrgUnit, name: str) -> OrgUnit:
    """Give ``unit`` a new name (its code and path, which the books refer to, stay)."""
    await conn.execute(org_unit.update().where(org_unit.c.id == unit.id).values(name=name))
    found = await find_org_unit(conn, unit.code)
    assert found is not None
    return found


async def close_org_unit(
    conn: AsyncConnection, unit: OrgUnit, *, actor: str, now: datetime
) -> OrgUnit:
    """Mark ``unit`` closed by ``actor`` (whether it may be closed is the caller's rule)."""
    await conn.execute(
        org_unit.update()
        .where(org_unit.c.id == unit.id, org_unit.c.closed_at.is_(None))
        .values(closed_at=now, closed_by=actor)
    )
    found = await find_org_unit(conn, unit.code)
    assert found is not None
    return found


def within(path: str, scope: str) -> bool:
    """Whether org unit ``path`` lies in the subtree rooted at ``scope``."""
    return path == scope or path.startswith(scope + "/")


def under(path: str) -> Any:
    """The SQL condition: org units in the subtree rooted at ``path`` (codes hold no LIKE
    wildcards)."""
    return (org_unit.c.path == path) | org_unit.c.path.startswith(path + "/", autoescape=True)


__all__ = [
    "ISSUANCE_KIND",
    "OrgUnit",
    "add_org_unit",
    "close_org_unit",
    "find_org_unit",
    "get_open_org_unit",
    "get_org_unit",
    "list_org_units",
    "rename_org_unit",
    "require_open",
    "under",
    "within",
]
