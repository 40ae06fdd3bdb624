"""Small helpers shared by the API tests: problem assertions, extra tokens, raw SQL, fixtures'
building blocks. Everything that writes goes through :func:`db.run_in_transaction`."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
from access import Role, create_token
from tests.api.conftest import ADMIN

PROBLEM_JSON = "application/problem+json"


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (and ``code``); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].endswith(f"/{body['code']}")
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"].strip()
    assert body["instance"] == response.request.url.path
    if code is not None:
        assert body["code"] == code, body
    return body


def answer_text(response: httpx.Response) -> str:
    """The answer's body without its ``request_id`` (each answer's own, by design), for tests
    that show two refusals cannot be told apart."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return response.text
    body = response.json()
    body.pop("request_id", None)
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def new_key() -> str:
    return uuid.uuid4().hex


def writing(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    """``headers`` plus a fresh (or the given) Idempotency-Key."""
    return {**headers, "Idempotency-Key": key or new_key()}


async def make_token(
    engine: AsyncEngine,
    role: Role,
    scope: str,
    *,
    label: str = "test token",
    valid_for: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[str, int]:
    """A new token; returns its raw text and its id."""

    async def use_case(conn: AsyncConnection) -> tuple[str, int]:
        raw, principal = await create_token(
            conn, role=role, scope=scope, label=label, valid_for=valid_for, now=now
        )
        return raw, principal.token_id

    return await db.run_in_transaction(engine, use_case)


async def execute(engine: AsyncEngine, *statements: str, **params: Any) -> None:
    """Raw SQL in one write transaction (each statement gets ``params``)."""

    async def use_case(conn: AsyncConnection) -> None:
        for statement in statements:
            await conn.execute(text(statement), params)

    await db.run_in_transaction(engine, use_case)


async def scalar(engine: AsyncEngine, statement: str, **params: Any) -> Any:
    async with db.read_transaction(engine) as conn:
        return await conn.scalar(text(statement), params)


async def move_points(
    engine: AsyncEngine, number: str, points: int, *, kind: str = "test", memo: str = ""
) -> int:
    """Post ``points`` into (or, negative, out of) passbook ``number`` against its grid's
    issuance account; returns the entry id."""

    async def use_case(conn: AsyncConnection) -> int:
        passbook = await community.find_passbook(conn, number)
        assert passbook is not None
        grid = await community.find_org_unit(conn, passbook.grid_code)
        assert grid is not None
        assert grid.issuance_account_id is not None
        posted = await ledger.post_entry(
            conn,
            idempotency_key=f"test:{new_key()}",
            kind=kind,
            legs=[
                ledger.Leg(grid.issuance_account_id, -points),
                ledger.Leg(passbook.account_id, points),
            ],
            actor="api-tests",
            memo=memo or f"test entry of {points:+d} points",
            effective_date=date(2026, 11, 1),
        )
        return int(posted.id)

    return await db.run_in_transaction(engine, use_case)


async def statement_lines(client: Any, number: str) -> list[dict[str, Any]]:
    """Every line of a passbook (read as the demo admin), oldest first."""
    response = await client.get(
        f"/api/passbooks/{number}/statement", params={"after": 0, "limit": 500}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    lines: list[dict[str, Any]] = response.json()["lines"]
    return lines


async def entry_count(client: Any) -> int:
    """How many journal entries the books hold (the trial balance's ``entries``)."""
    response = await client.get("/api/books/trial-balance", headers=ADMIN)
    assert response.status_code == 200, response.text
    count: int = response.json()["entries"]
    return count


async def balance(client: Any, number: str) -> dict[str, Any]:
    response = await client.get(f"/api/passbooks/{number}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def verify(client: Any) -> dict[str, Any]:
    response = await client.get("/api/books/verify", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tamper(
    engine: AsyncEngine, dialect: db.Dialect, table: str, assignment: str, where: str, **params: Any
) -> None:
    """Rewrite history behind the ledger's back: switch off the table's immutability trigger,
    then ``UPDATE table SET assignment WHERE where``."""
    assert table in {"ledger_posting", "ledger_entry"}
    if dialect is db.Dialect.SQLITE:
        guard = f"DROP TRIGGER trg_{table}_no_update"
    else:
        guard = f"ALTER TABLE {table} DISABLE TRIGGER trg_{table}_guard"
    await execute(engine, guard, f"UPDATE {table} SET {assignment} WHERE {where}", **params)
