"""Passbooks: the printed number, whose it is, in which grid, and its ledger account; and
whose a ledger account is.

Invariant: a volunteer holds exactly one passbook account for life (the database ties each
volunteer to one account, and each account to at most one volunteer), so a passbook number
and an account name the same book.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from community._cleaning import lookalike_key
from community._tables import org_unit, volunteer

PASSBOOK_KIND = "passbook"


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


_PASSBOOK_BY_NUMBER = _passbook_query().where(volunteer.c.passbook_number == bindparam("number"))
"""Built once: every passbook read by number runs it."""


async def find_passbook(conn: AsyncConnection, number: str) -> Passbook | None:
    row = (await conn.execute(_PASSBOOK_BY_NUMBER, {"number": number})).first()
    if row is None:
        return None
    return Passbook(row[0], row[1], row[2], row[3], row[4], row[5], ledger.AccountId(row[6]))


_PASSBOOK_WITH_BALANCE = ledger.with_balance(_passbook_query(), volunteer.c.account_id).where(
    volunteer.c.passbook_number == bindparam("number")
)
"""The passbook and its kept balance in one statement, built once (the hot balance read)."""


async def find_passbook_with_balance(
    conn: AsyncConnection, number: str
) -> tuple[Passbook, ledger.Balance] | None:
    """The passbook numbered ``number`` and its balance, read by one statement, or None."""
    row = (await conn.execute(_PASSBOOK_WITH_BALANCE, {"number": number})).first()
    if row is None:
        return None
    account_id = ledger.AccountId(row[6])
    passbook = Passbook(row[0], row[1], row[2], row[3], row[4], row[5], account_id)
    return passbook, ledger.balance_from(row, account_id)


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


def _lookalike_key_sql() -> ColumnElement[str]:
    """:func:`community.lookalike_key` of a stored number, in SQL (stored numbers are already
    upper-case ASCII)."""
    number = volunteer.c.passbook_number
    return func.replace(func.replace(func.replace(number, "O", "0"), "I", "1"), "L", "1")


async def registered_lookalikes(
    conn: AsyncConnection, numbers: list[str]
) -> dict[str, list[tuple[str, str]]]:
    """For each lookalike key of ``numbers``, the registered passbooks that have it, as
    (number, grid path), by number. A number registered exactly is among them too: the caller
    tells a lookalike from the number itself."""
    keys = sorted({lookalike_key(n) for n in numbers})
    found: dict[str, list[tuple[str, str]]] = {}
    key = _lookalike_key_sql()
    for start in range(0, len(keys), 500):
        rows = await conn.execute(
            select(key, volunteer.c.passbook_number, org_unit.c.path)
            .join(org_unit, org_unit.c.id == volunteer.c.grid_id)
            .where(key.in_(keys[start : start + 500]))
            .order_by(volunteer.c.passbook_number)
        )
        for row_key, number, path in rows:
            found.setdefault(row_key, []).append((number, path))
    return found


async def find_lookalike(conn: AsyncConnection, number: str) -> tuple[str, str] | None:
    """A registered passbook whose number is not ``number`` but differs from it only by O/0,
    I/1 or L/1, as (number, grid path); None if there is none."""
    same = (await registered_lookalikes(conn, [number])).get(lookalike_key(number), [])
    return next(((n, p) for n, p in same if n != number), None)


__all__ = [
    "PASSBOOK_KIND",
    "Passbook",
    "find_lookalike",
    "find_passbook",
    "org_paths_of_accounts",
    "registered_lookalikes",
]
