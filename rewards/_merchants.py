"""Merchants: who honours the vouchers, and the ledger account their points go to.

Invariants protected here: a merchant has exactly one ledger account (kind ``merchant``),
which receives the points of the vouchers it consumes, and serves one org unit that exists;
adding the same code again with another name or unit is refused, never a second account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, ScalarSelect, Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from i18n import _
from rewards._tables import merchant
from rewards._time import utcnow
from rewards._types import Merchant
from rewards.errors import InvalidCatalog, MerchantNotFound

MERCHANT_KIND = "merchant"


def merchant_owner_ref(code: str) -> str:
    return f"merchant:{code}"


async def add_merchant(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    org_unit_code: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> Merchant:
    """Add a merchant serving the org unit ``org_unit_code`` (the street, the root of the org
    tree, when None) and open its ledger account; adding the same code, name and unit again
    returns the existing one."""
    if not community.is_code(code):
        raise InvalidCatalog(
            _(
                "Merchant code {code!r} must be 1-40 lower-case letters, digits or dashes.",
                code=code,
            )
        )
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidCatalog(_("A merchant needs a name of 1 to 100 characters."))
    if org_unit_code is None:
        org_unit_code = await conn.scalar(
            select(community.org_unit.c.code)
            .where(community.org_unit.c.parent_id.is_(None))
            .order_by(community.org_unit.c.id)
            .limit(1)
        )
    unit = None if org_unit_code is None else await community.find_org_unit(conn, org_unit_code)
    if unit is None:
        raise InvalidCatalog(
            _(
                "No org unit with code {org_unit_code!r} for the merchant to serve.",
                org_unit_code=org_unit_code,
            )
        )
    if existing := await find_merchant(conn, code):
        if existing.name != name or existing.org_unit_code != unit.code:
            raise InvalidCatalog(
                _(
                    "Merchant {code!r} already exists as {existing_name!r} of "
                    "{org_unit_code}; choose another code.",
                    code=code,
                    existing_name=existing.name,
                    org_unit_code=existing.org_unit_code,
                )
            )
        return existing
    account_id = await ledger.open_account(
        conn, kind=MERCHANT_KIND, owner_ref=merchant_owner_ref(code)
    )
    await conn.execute(
        merchant.insert().values(
            code=code,
            name=name,
            account_id=account_id,
            org_unit_id=unit.id,
            created_at=now or utcnow(),
            created_by=actor,
        )
    )
    return await get_merchant(conn, code)


def _merchant_query() -> Select[Any]:
    unit = community.org_unit
    return select(
        merchant,
        unit.c.code.label("unit_code"),
        unit.c.name.label("unit_name"),
        unit.c.path.label("unit_path"),
    ).join(unit, unit.c.id == merchant.c.org_unit_id)


def _merchant(row: Row[Any]) -> Merchant:
    return Merchant(
        row.id,
        row.code,
        row.name,
        ledger.AccountId(row.account_id),
        row.unit_code,
        row.unit_name,
        row.unit_path,
    )


async def find_merchant(conn: AsyncConnection, code: str) -> Merchant | None:
    row = (await conn.execute(_merchant_query().where(merchant.c.code == code))).first()
    return None if row is None else _merchant(row)


def _no_merchant(code: str) -> MerchantNotFound:
    return MerchantNotFound(_("No merchant with code {code!r}. Check the code.", code=code))


async def get_merchant(conn: AsyncConnection, code: str) -> Merchant:
    found = await find_merchant(conn, code)
    if found is None:
        raise _no_merchant(code)
    return found


async def get_merchant_with(
    conn: AsyncConnection, code: str, also: ScalarSelect[Any]
) -> tuple[Merchant, Any]:
    """The merchant, as :func:`get_merchant`, and the value of ``also`` (a scalar subquery)
    read in the same statement."""
    query = _merchant_query().add_columns(also.label("also")).where(merchant.c.code == code)
    row = (await conn.execute(query)).first()
    if row is None:
        raise _no_merchant(code)
    return _merchant(row), row.also


async def list_merchants(conn: AsyncConnection, *, under_path: str | None = None) -> list[Merchant]:
    """The merchants by code; with ``under_path``, those serving a unit within the org unit at
    that path (its subtree)."""
    query = _merchant_query().order_by(merchant.c.code)
    if under_path is not None:
        query = query.where(community.under(under_path))
    return [_merchant(r) for r in await conn.execute(query)]
