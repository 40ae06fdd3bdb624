"""Opening accounts and reading their kept balances.

Reading a balance reads one row, so it costs the same at one posting and at a million.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from db import constraint_name, metadata
from i18n import _
from ledger._tables import GENESIS_HASH, account
from ledger._types import AccountId, Balance
from ledger.errors import AccountNotFound, IdempotencyRace, InvalidEntry


async def open_account(
    conn: AsyncConnection,
    *,
    kind: str,
    owner_ref: str,
    allow_negative: bool = False,
    now: datetime | None = None,
) -> AccountId:
    """The account of ``owner_ref`` of this ``kind``, opened now if it does not exist yet.

    Opening is idempotent on (kind, owner_ref); the balance policy of an existing account is
    never changed by a later call.
    """
    if not kind or len(kind) > 32 or not owner_ref or len(owner_ref) > 128:
        raise InvalidEntry(_("An account needs a kind (1-32 characters) and an owner (1-128)."))
    found = await find_account(conn, kind=kind, owner_ref=owner_ref)
    if found is not None:
        return found
    try:
        new_id = await conn.scalar(
            account.insert()
            .values(
                kind=kind,
                owner_ref=owner_ref,
                allow_negative=allow_negative,
                posted=0,
                held=0,
                lifetime_earned=0,
                posting_count=0,
                head_hash=GENESIS_HASH,
                created_at=now or datetime.now(UTC),
            )
            .returning(account.c.id)
        )
    except IntegrityError as error:
        if constraint_name(error, metadata) == "uq_ledger_account_kind_owner_ref":
            raise IdempotencyRace(f"{kind}:{owner_ref}") from error
        raise
    assert new_id is not None
    return AccountId(new_id)


async def find_account(conn: AsyncConnection, *, kind: str, owner_ref: str) -> AccountId | None:
    found = await conn.scalar(
        select(account.c.id).where(account.c.kind == kind, account.c.owner_ref == owner_ref)
    )
    return AccountId(found) if found is not None else None


async def get_balance(conn: AsyncConnection, account_id: AccountId) -> Balance:
    row = (await conn.execute(_BALANCE_BY_ID, {"account_id": account_id})).first()
    if row is None:
        raise AccountNotFound([account_id])
    return _balance(row)


async def get_balances(
    conn: AsyncConnection, account_ids: list[AccountId]
) -> dict[AccountId, Balance]:
    rows = await conn.execute(_balance_query().where(account.c.id.in_(account_ids)))
    found = {AccountId(row.id): _balance(row) for row in rows}
    if missing := set(account_ids) - found.keys():
        raise AccountNotFound(list(missing))
    return found


def _balance_query() -> Select[Any]:
    return select(
        account.c.id,
        account.c.kind,
        account.c.owner_ref,
        account.c.posted,
        account.c.held,
        account.c.lifetime_earned,
        account.c.posting_count,
    )


_BALANCE_BY_ID = _balance_query().where(account.c.id == bindparam("account_id"))
"""Built once: every balance read runs it."""


_BALANCE_COLUMNS = (
    account.c.kind.label("balance_kind"),
    account.c.owner_ref.label("balance_owner_ref"),
    account.c.posted.label("balance_posted"),
    account.c.held.label("balance_held"),
    account.c.lifetime_earned.label("balance_lifetime_earned"),
    account.c.posting_count.label("balance_posting_count"),
)


def with_balance(query: Select[Any], account_id: ColumnElement[int]) -> Select[Any]:
    """``query`` joined to the kept balance of the account ``account_id`` names, so one
    statement reads a thing and its balance; read the balance from a row with
    :func:`balance_from`. The account table stays the ledger's."""
    return query.join(account, account.c.id == account_id).add_columns(*_BALANCE_COLUMNS)


def balance_from(row: Row[Any], account_id: AccountId) -> Balance:
    """The balance a :func:`with_balance` query read into ``row``."""
    return Balance(
        account_id=account_id,
        kind=row.balance_kind,
        owner_ref=row.balance_owner_ref,
        posted=row.balance_posted,
        held=row.balance_held,
        lifetime_earned=row.balance_lifetime_earned,
        posting_count=row.balance_posting_count,
    )


def _balance(row: Row[tuple[object, ...]]) -> Balance:
    return Balance(
        account_id=AccountId(row.id),
        kind=row.kind,
        owner_ref=row.owner_ref,
        posted=row.posted,
        held=row.held,
        lifetime_earned=row.lifetime_earned,
        posting_count=row.posting_count,
    )
