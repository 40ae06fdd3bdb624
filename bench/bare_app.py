"""The HTTP benchmark's yardstick: a bare litestar app doing the balance read's own queries.

No SQLAlchemy, no service layer: one pool of the driver itself (asyncpg on PostgreSQL,
aiosqlite on SQLite, for a run on SQLite only), the bearer-token lookup and the passbook and
balance queries copied from ``access.find_principal``, ``access.passbook_read_by`` and
``ledger.get_balance``, answered as JSON. ``/ping`` answers without the database: the trivial
endpoint the load driver's own ceiling is measured on. The rule it keeps: it does at least
the real balance read's database work (same rows, same refusals for a bad token), so the
ratio to it is the cost of everything else. Served by :func:`bench._service.serve_bare`.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromPath

DSN_VARIABLE = "PASSBOOK_BARE_DSN"
PRINCIPAL = (
    "SELECT api_token.id, api_token.role, api_token.scope, api_token.expires_at, "
    "api_token.revoked_at, api_token.council_member_id, council_member.active, volunteer.status "
    "FROM api_token LEFT OUTER JOIN council_member ON council_member.id = "
    "api_token.council_member_id LEFT OUTER JOIN volunteer ON api_token.role = $1 "
    "AND volunteer.passbook_number = api_token.scope WHERE api_token.token_hash = $2"
)
PASSBOOK = (
    "SELECT volunteer.passbook_number, volunteer.name, org_unit.code, org_unit.name, "
    "volunteer.account_id FROM volunteer JOIN org_unit ON org_unit.id = volunteer.grid_id "
    "WHERE volunteer.passbook_number = $1"
)
BALANCE = "SELECT posted, held, lifetime_earned, posting_count FROM ledger_account WHERE id = $1"


class _Pool:
    """``fetchrow(sql, *args)`` on asyncpg, or on one aiosqlite connection for SQLite."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: Any = None

    async def open(self) -> None:
        if self.dsn.startswith("sqlite:"):
            import aiosqlite

            self.pool = await aiosqlite.connect(self.dsn.removeprefix("sqlite:"))
        else:
            import asyncpg  # type: ignore[import-untyped]

            self.pool = await asyncpg.create_pool(self.dsn, min_size=2, max_size=20)

    async def close(self) -> None:
        await self.pool.close()

    async def fetchrow(self, sql: str, *args: object) -> Any:
        if not self.dsn.startswith("sqlite:"):
            return await self.pool.fetchrow(sql, *args)
        for n in range(len(args), 0, -1):
            sql = sql.replace(f"${n}", "?")
        async with self.pool.execute(sql, args) as cursor:
            return await cursor.fetchone()


POOL = _Pool(os.environ.get(DSN_VARIABLE, ""))


@get("/ping", media_type="text/plain")
async def ping() -> str:
    return "pong"


@get("/api/passbooks/{number:str}")
async def balance(request: Request[Any, Any, Any], number: FromPath[str]) -> dict[str, Any]:
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise NotAuthorizedException()
    token = await POOL.fetchrow(PRINCIPAL, "volunteer", hashlib.sha256(raw.encode()).hexdigest())
    if token is None or token[4] is not None or token[7] not in (None, "active"):
        raise NotAuthorizedException()
    expires = token[3]
    if expires is not None and _aware(expires) <= datetime.now(UTC):
        raise NotAuthorizedException()
    if token[1] != "volunteer" or token[2] != number:
        raise PermissionDeniedException()
    found = await POOL.fetchrow(PASSBOOK, number)
    kept = await POOL.fetchrow(BALANCE, found[4])
    return {
        "number": found[0],
        "holder": found[1],
        "grid": {"code": found[2], "name": found[3]},
        "posted": kept[0],
        "held": kept[1],
        "available": kept[0] - kept[1],
        "lifetime_earned": kept[2],
        "lines": kept[3],
    }


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


app = Litestar([ping, balance], on_startup=[POOL.open], on_shutdown=[POOL.close])
