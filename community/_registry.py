"""Adding org units and volunteers, and finding whose a ledger account is.

Invariants: a grid's parent is a community and a community's parent a street; every grid and
community has an issuance account (it may go negative: it shows the points put into
circulation); registering a volunteer opens their passbook account, which never goes negative.
Both operations are idempotent on the code / passbook number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from community._tables import council_member, org_unit, volunteer

PASSBOOK_KIND = "passbook"
ISSUANCE_KIND = "issuance"
_PARENT_KIND = {"community": "street", "grid": "community"}
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class RegistryError(Exception):
    code = "registry_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OrgUnitNotFound(RegistryError):
    code = "org_unit_not_found"


class PassbookNotFound(RegistryError):
    code = "passbook_not_found"


@dataclass(frozen=True, slots=True)
class OrgUnit:
    id: int
    code: str
    name: str
    kind: str
    path: str
    issuance_account_id: ledger.AccountId | None


@dataclass(frozen=True, slots=True)
class Passbook:
    """A volunteer's passbook: the printed number, whose it is, where, and its account."""

    volunteer_id: int
    number: str
    holder_name: str
    grid_code: str
    grid_name: str
    grid_path: str
    account_id: ledger.AccountId


async def add_org_unit(
    conn: AsyncConnection, *, code: str, name: str, kind: str, parent_code: str | None = None
) -> OrgUnit:
    """Add a street, community or grid (or return the existing one with that code)."""
    if not _CODE.match(code):
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


async def register_volunteer(
    conn: AsyncConnection, *, passbook_number: str, name: str, grid_code: str
) -> Passbook:
    """Register a volunteer in a grid and open their passbook (idempotent on the number)."""
    if not re.fullmatch(r"[A-Z0-9-]{3,32}", passbook_number):
        raise RegistryError(
            f"Passbook number {passbook_number!r} must be 3-32 capital letters, digits or dashes."
        )
    if not name.strip() or len(name) > 100:
        raise RegistryError("A volunteer needs a name of 1 to 100 characters.")
    if existing := await find_passbook(conn, passbook_number):
        return existing
    grid = await find_org_unit(conn, grid_code)
    if grid is None or grid.kind != "grid":
        raise OrgUnitNotFound(f"No grid with code {grid_code!r}.")
    account_id = await ledger.open_account(
        conn, kind=PASSBOOK_KIND, owner_ref=f"volunteer:{passbook_number}"
    )
    await conn.execute(
        volunteer.insert().values(
            passbook_number=passbook_number,
            name=name.strip(),
            grid_id=grid.id,
            account_id=account_id,
            registered_at=datetime.now(UTC),
        )
    )
    found = await find_passbook(conn, passbook_number)
    assert found is not None
    return found


def _passbook_query() -> Select[Any]:
    return select(
        volunteer.c.id,
        volunteer.c.passbook_number,
        volunteer.c.name,
        org_unit.c.code,
        org_unit.c.name.label("grid_name"),
        org_unit.c.path,
        volunteer.c.account_id,
    ).join(org_unit, org_unit.c.id == volunteer.c.grid_id)


async def find_passbook(conn: AsyncConnection, number: str) -> Passbook | None:
    row = (
        await conn.execute(_passbook_query().where(volunteer.c.passbook_number == number))
    ).first()
    if row is None:
        return None
    return Passbook(row[0], row[1], row[2], row[3], row[4], row[5], ledger.AccountId(row[6]))


async def org_paths_of_accounts(
    conn: AsyncConnection, account_ids: list[ledger.AccountId]
) -> dict[ledger.AccountId, str]:
    """The org path each account belongs to: a passbook's grid, an issuance account's unit.
    Accounts that belong to no org unit (a merchant's) are left out."""
    paths: dict[ledger.AccountId, str] = {}
    rows = await conn.execute(
        select(volunteer.c.account_id, org_unit.c.path)
        .join(org_unit, org_unit.c.id == volunteer.c.grid_id)
        .where(volunteer.c.account_id.in_(account_ids))
    )
    paths.update({ledger.AccountId(a): p for a, p in rows})
    rows = await conn.execute(
        select(org_unit.c.issuance_account_id, org_unit.c.path).where(
            org_unit.c.issuance_account_id.in_(account_ids)
        )
    )
    paths.update({ledger.AccountId(a): p for a, p in rows})
    return paths


def within(path: str, scope: str) -> bool:
    """Whether org unit ``path`` lies in the subtree rooted at ``scope``."""
    return path == scope or path.startswith(scope + "/")


@dataclass(frozen=True, slots=True)
class CouncilMember:
    """A person with the council role in one grid."""

    id: int
    code: str
    name: str
    grid_code: str
    grid_path: str
    active: bool


async def add_council_member(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
) -> CouncilMember:
    """Add a council member to a grid (or return the existing one with that code)."""
    if not _CODE.match(code):
        raise RegistryError(
            f"Council member code {code!r} must be 1-40 lower-case letters, digits or dashes."
        )
    if not name.strip() or len(name) > 100:
        raise RegistryError("A council member needs a name of 1 to 100 characters.")
    if existing := await find_council_member(conn, code):
        if existing.grid_code != grid_code:
            raise RegistryError(
                f"Council member {code!r} already sits on grid {existing.grid_code!r}."
            )
        return existing
    grid = await find_org_unit(conn, grid_code)
    if grid is None or grid.kind != "grid":
        raise OrgUnitNotFound(f"No grid with code {grid_code!r}; a council sits on one grid.")
    await conn.execute(
        council_member.insert().values(
            code=code,
            name=name.strip(),
            grid_id=grid.id,
            phone=phone,
            created_at=datetime.now(UTC),
        )
    )
    found = await find_council_member(conn, code)
    assert found is not None
    return found


def _council_member_query() -> Select[Any]:
    return select(
        council_member.c.id,
        council_member.c.code,
        council_member.c.name,
        org_unit.c.code,
        org_unit.c.path,
        council_member.c.active,
    ).join(org_unit, org_unit.c.id == council_member.c.grid_id)


async def find_council_member(conn: AsyncConnection, code: str) -> CouncilMember | None:
    row = (await conn.execute(_council_member_query().where(council_member.c.code == code))).first()
    return None if row is None else CouncilMember(*row)


async def get_council_member(conn: AsyncConnection, member_id: int) -> CouncilMember | None:
    row = (
        await conn.execute(_council_member_query().where(council_member.c.id == member_id))
    ).first()
    return None if row is None else CouncilMember(*row)
