"""The org tree: street > community > grid, each unit with a code and a path.

Invariants: a grid's parent is a community and a community's parent a street; a unit's path
is its parent's path, a slash and its code, so "in the subtree of" is a prefix test on paths;
every grid and community has an issuance account (it may go negative: it shows the points put
into circulation). Adding a unit is idempotent on its code: the same code again returns the
unit, as another kind it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from community._cleaning import is_code
from community._tables import org_unit
from community.errors import OrgUnitNotFound, RegistryError

ISSUANCE_KIND = "issuance"
_PARENT_KIND = {"community": "street", "grid": "community"}


@dataclass(frozen=True, slots=True)
class OrgUnit:
    id: int
    code: str
    name: str
    kind: str
    path: str
    issuance_account_id: ledger.AccountId | None


async def add_org_unit(
    conn: AsyncConnection, *, code: str, name: str, kind: str, parent_code: str | None = None
) -> OrgUnit:
    """Add a street, community or grid (or return the existing one with that code)."""
    if not is_code(code):
        raise RegistryError(
            f"Org unit code {code!r} must be 1-40 lower-case letters, digits or dashes."
        )
    if existing := await find_org_unit(conn, code):
        if existing.kind != kind:
            raise RegistryError(f"Org unit {code!r} already exists as a {existing.kind}.")
        return existing
    if kind == "street":
        if parent_code is not None:
            raise RegistryError("A street is the top of the tree and has no parent.")
        path, parent_id = code, None
    elif kind in _PARENT_KIND:
        parent = await find_org_unit(conn, parent_code or "")
        if parent is None or parent.kind != _PARENT_KIND[kind]:
            raise RegistryError(
                f"A {kind} belongs to a {_PARENT_KIND[kind]}; {parent_code!r} is not one."
            )
        path, parent_id = f"{parent.path}/{code}", parent.id
    else:
        raise RegistryError(f"Unknown org unit kind {kind!r}: use street, community or grid.")
    issuance = None
    if kind != "street":
        issuance = await ledger.open_account(
            conn, kind=ISSUANCE_KIND, owner_ref=f"org:{code}", allow_negative=True
        )
    await conn.execute(
        org_unit.insert().values(
            code=code,
            name=name,
            kind=kind,
            parent_id=parent_id,
            path=path,
            issuance_account_id=issuance,
            created_at=datetime.now(UTC),
        )
    )
    found = await find_org_unit(conn, code)
    assert found is not None
    return found


async def find_org_unit(conn: AsyncConnection, code: str) -> OrgUnit | None:
    row = (await conn.execute(select(org_unit).where(org_unit.c.code == code))).first()
    if row is None:
        return None
    return OrgUnit(row.id, row.code, row.name, row.kind, row.path, row.issuance_account_id)


async def get_org_unit(conn: AsyncConnection, code: str) -> OrgUnit:
    """The org unit ``code``, or :class:`community.OrgUnitNotFound`."""
    found = await find_org_unit(conn, code)
    if found is None:
        raise OrgUnitNotFound(f"No org unit with code {code!r}.")
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
    "find_org_unit",
    "get_org_unit",
    "under",
    "within",
]
