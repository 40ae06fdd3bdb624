"""Who may call at all: bearer tokens, their expiry and revocation, and how they are stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from access import Role, api_token, hash_token
from seeds.demo import DEMO_TOKENS
from seeds.rewards import MERCHANTS, merchant_token
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import (
    assert_problem,
    bearer,
    entry_count,
    execute,
    make_token,
    writing,
)

Client = AsyncTestClient  # type: ignore[type-arg]

OPEN_PATHS = {
    "/health",
    "/ready",
    "/api/sign-in",
    "/api/sign-in-codes/redemption",
    "/api/public/ballots/{code:str}",
    "/api/check-codes/verification",
}
SAMPLE_PATH_VALUES = {"str": "YZS1-0001", "int": "1"}


def protected_endpoints(client: Client) -> list[tuple[str, str]]:
    """Every (method, concrete path) of the API except sign-in and the public pages (the
    pages' sessions are tested in tests/pages)."""
    found = []
    for route in client.app.routes:
        if route.path in OPEN_PATHS or not route.path.startswith("/api/"):
            continue
        path = re.sub(r"\{(\w+):(\w+)\}", lambda m: SAMPLE_PATH_VALUES[m.group(2)], route.path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            found.append((method, path))
    return found


async def call(client: Client, method: str, path: str, headers: dict[str, str]) -> Any:
    if method == "POST":
        return await client.post(path, json={"reason": "auth test"}, headers=writing(headers))
    return await client.request(method, path, headers=headers)


async def test_health_and_the_api_docs_need_no_token(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}

    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Red Passbook"

    page = await client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")

    # everything else needs a token (the tests below walk them all; the access matrix keeps
    # the table of endpoints, and fails when one is served without a row)
    protected = set(protected_endpoints(client))
    assert ("GET", "/api/books/verify") in protected


MALFORMED = {
    "no-header": None,
    "empty": "",
    "scheme-only": "Bearer",
    "scheme-and-space": "Bearer ",
    "blank-token": "Bearer    ",
    "no-scheme": "pb_demo_admin",
    "basic": "Basic cGJfZGVtb19hZG1pbjo=",
    "other-scheme": "Token pb_demo_admin",
    "no-space": "Bearerpb_demo_admin",
}


async def test_no_or_malformed_credentials_get_401_everywhere(client: Client) -> None:
    before = await entry_count(client)
    for case, authorization in MALFORMED.items():
        headers = {} if authorization is None else {"Authorization": authorization}
        for method, path in protected_endpoints(client):
            response = await call(client, method, path, headers)
            body = assert_problem(response, 401, "not_authenticated")
            assert "Bearer" in body["detail"], case
    assert await entry_count(client) == before, "a refused request wrote to the books"


NEVER_ISSUED = [
    "pb_not_a_real_token",
    "PB_DEMO_ADMIN",
    "pb_demo_admin extra",
    "pb_demo_admi",
    hash_token("pb_demo_admin"),
]


async def test_tokens_that_were_never_issued_get_401(client: Client) -> None:
    for raw in NEVER_ISSUED:
        for method, path in protected_endpoints(client):
            body = assert_problem(await call(client, method, path, bearer(raw)), 401)
            assert body["code"] == "not_authenticated", raw
            assert "not valid" in body["detail"], raw


async def test_an_expired_token_gets_401(client: Client, demo_engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    expired, _ = await make_token(
        demo_engine,
        Role.ADMIN,
        "yanshan",
        label="expired yesterday",
        valid_for=timedelta(days=1),
        now=now - timedelta(days=2),
    )
    still_valid, _ = await make_token(
        demo_engine,
        Role.ADMIN,
        "yanshan",
        label="expires tomorrow",
        valid_for=timedelta(days=2),
        now=now - timedelta(days=1),
    )
    assert (await client.get("/api/me", headers=bearer(still_valid))).status_code == 200
    for method, path in protected_endpoints(client):
        body = assert_problem(
            await call(client, method, path, bearer(expired)), 401, "not_authenticated"
        )
        assert "expired" in body["detail"]


async def test_a_revoked_token_gets_401_from_the_next_request_on(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, token_id = await make_token(demo_engine, Role.ADMIN, "yanshan", label="to be revoked")
    assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200

    await execute(
        demo_engine,
        "UPDATE api_token SET revoked_at = :now WHERE id = :id",
        now=datetime.now(UTC),
        id=token_id,
    )

    for method, path in protected_endpoints(client):
        body = assert_problem(await call(client, method, path, bearer(raw)), 401)
        assert body["code"] == "not_authenticated"
        assert "revoked" in body["detail"]
    # the other tokens are untouched
    assert (await client.get("/api/me", headers=ADMIN)).status_code == 200


DEMO_PRINCIPALS = [
    (ADMIN, "admin", "yanshan", "燕山街道演示管理员"),
    (AUDITOR, "auditor", "yanshan", "燕山街道演示审计员"),
    (COUNCIL_G1, "council", "yanshan/yanzishan/yzs-g1", "第一网格演示议事会成员"),
    (VOLUNTEER, "volunteer", "YZS1-0001", "演示志愿者王秀兰"),
]


async def test_me_reports_role_and_scope(client: Client, demo_engine: AsyncEngine) -> None:
    for headers, role, scope, label in DEMO_PRINCIPALS:
        response = await client.get("/api/me", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"role": role, "scope": scope, "label": label}

    # org scopes are stored as the unit's path; labels are trimmed
    for role_, code, stored in [
        (Role.ADMIN, "yzs-g2", "yanshan/yanzishan/yzs-g2"),
        (Role.COUNCIL, "yzs-g7-a", "yanshan/yanzishan/yzs-g7"),
        (Role.AUDITOR, "yanzishan", "yanshan/yanzishan"),
        (Role.VOLUNTEER, "YZS2-0001", "YZS2-0001"),
        (Role.MERCHANT, "yuanyuan-carwash", "yuanyuan-carwash"),
    ]:
        raw, _ = await make_token(demo_engine, role_, code, label=f"  {role_} of {code}  ")
        response = await client.get("/api/me", headers=bearer(raw))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "role": role_.value,
            "scope": stored,
            "label": f"{role_} of {code}",
        }

    # the scheme name is case-insensitive (RFC 9110)
    response = await client.get("/api/me", headers={"Authorization": "bearer pb_demo_admin"})
    assert response.status_code == 200
    assert response.json()["role"] == "admin"


async def test_tokens_are_stored_only_as_their_hash(
    client: Client, demo_engine: AsyncEngine
) -> None:
    made, _ = await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a", label="council g2")
    assert made.startswith("pb_")
    assert len(made) > 40  # 32 random bytes, URL-safe

    async with db.read_transaction(demo_engine) as conn:
        rows = (await conn.execute(select(api_token))).mappings().all()
    stored_text = "\n".join(str(value) for row in rows for value in row.values())
    merchants = [merchant_token(code) for code, _ in MERCHANTS]
    raws = [raw for raw, *_ in DEMO_TOKENS] + merchants + [made]
    for raw in raws:
        assert raw not in stored_text
    assert {row["token_hash"] for row in rows} == {hash_token(raw) for raw in raws}
    assert all(re.fullmatch(r"[0-9a-f]{64}", row["token_hash"]) for row in rows)
    # and the stored hash is what works, not the raw text
    assert (await client.get("/api/me", headers=bearer(made))).status_code == 200


async def test_options_needs_a_token_and_answers_within_the_guards(client: Client) -> None:
    for path in ("/api/books/verify", "/api/reports/circulation", "/api/scan/consume"):
        assert_problem(await client.options(path), 401)
    assert (await client.options("/api/books/verify", headers=ADMIN)).status_code == 204
    assert_problem(await client.options("/api/scan/consume", headers=ADMIN), 403)
