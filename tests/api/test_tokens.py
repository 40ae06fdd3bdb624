"""Credentials over HTTP: an admin lists, issues and revokes within their unit; a revoked
token gets 401 at once; a credential's scope must exist; a token's use is noted but not on
every request; a volunteer moved away and made active again gets no old token back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import assert_problem, bearer, execute, make_token, scalar

Client = AsyncTestClient  # type: ignore[type-arg]
FIELDS = {
    "id", "role", "scope", "council_member", "label", "state", "created_at", "created_by",
    "last_used_at", "expires_at", "revoked_at", "revoked_by",
}  # fmt: skip


async def issue(client: Client, headers: dict[str, str], **body: Any) -> Any:
    return await client.post("/api/tokens", json=body, headers=headers)


async def listing(client: Client, headers: dict[str, str], **params: Any) -> Any:
    return await client.get("/api/tokens", params=params, headers=headers)


async def test_an_admin_issues_a_merchant_credential_that_works(client: Client) -> None:
    response = await issue(
        client, ADMIN, role="merchant", scope="market", label="收银台扫码枪", valid_days=30
    )
    assert response.status_code == 201, response.text
    body = response.json()
    credential = body["credential"]
    assert set(credential) == FIELDS
    assert (credential["role"], credential["scope"], credential["state"]) == (
        "merchant",
        "market",
        "active",
    )
    assert credential["created_by"].startswith("admin:")
    me = await client.get("/api/me", headers=bearer(body["token"]))
    assert me.json() == {"role": "merchant", "scope": "market", "label": "收银台扫码枪"}
    # a grid worker's credential: an admin token scoped to a grid, made by the street's admin
    response = await issue(client, ADMIN, role="admin", scope="yzs-g2", label="网格员 李")
    assert response.status_code == 201, response.text
    grid_worker = bearer(response.json()["token"])
    assert (await client.get("/api/passbooks/YZS2-0001", headers=grid_worker)).status_code == 200
    assert_problem(await client.get("/api/passbooks/YZS1-0001", headers=grid_worker), 403)


async def test_every_scope_must_exist_and_be_open(client: Client, demo_engine: AsyncEngine) -> None:
    tokens = await scalar(demo_engine, "SELECT count(*) FROM api_token")
    for role, scope, status, code in [
        ("merchant", "nosuch", 422, "unknown_credential_scope"),
        ("admin", "nowhere", 422, "unknown_credential_scope"),
        ("auditor", "YZS1-0001", 422, "unknown_credential_scope"),
        ("council", "nobody", 404, "council_member_not_found"),
    ]:
        response = await issue(client, ADMIN, role=role, scope=scope, label="x")
        assert_problem(response, status, code)
    await execute(
        demo_engine, "UPDATE org_unit SET closed_at = CURRENT_TIMESTAMP WHERE code = 'yzs-g3'"
    )
    for role, scope in [("admin", "yzs-g3"), ("auditor", "yzs-g3"), ("council", "yzs-g3-a")]:
        response = await issue(client, ADMIN, role=role, scope=scope, label="x")
        assert_problem(response, 409, "credential_scope_closed")
    response = await issue(client, ADMIN, role="volunteer", scope="YZS1-0001", label="x")
    assert_problem(response, 422)  # volunteers sign in with their PIN: not a role to issue
    assert await scalar(demo_engine, "SELECT count(*) FROM api_token") == tokens


async def test_an_admin_of_another_community_cannot_list_revoke_or_create(
    client: Client, demo_engine: AsyncEngine
) -> None:
    yaotou = bearer((await make_token(demo_engine, Role.ADMIN, "yaotou"))[0])
    _, g1_admin = await make_token(demo_engine, Role.ADMIN, "yzs-g1", label="第一网格网格员")
    for scope in ("yzs-g1", "yanzishan", "yzs-g1-a", "YZS1-0001", "market"):
        assert_problem(await listing(client, yaotou, scope=scope), 403, "credential_out_of_reach")
    listed = (await listing(client, yaotou, include_inactive=True)).json()["credentials"]
    assert listed
    assert all(c["scope"].startswith("yanshan/yaotou") for c in listed), listed
    assert_problem(
        await client.post(f"/api/tokens/{g1_admin}/revocation", headers=yaotou),
        403,
        "credential_out_of_reach",
    )
    for role, scope in [("admin", "yzs-g1"), ("auditor", "yanzishan"), ("admin", "yaotou"),
                        ("merchant", "market"), ("admin", "yanshan")]:  # fmt: skip
        response = await issue(client, yaotou, role=role, scope=scope, label="x")
        assert_problem(response, 403, "credential_out_of_reach")
    assert_problem(await issue(client, yaotou, role="council", scope="yzs-g1-a"), 403)
    # within their own community they may
    response = await issue(client, yaotou, role="admin", scope="yt-g1", label="窑头网格员")
    assert response.status_code == 201, response.text
    for headers in (AUDITOR, COUNCIL_G1, VOLUNTEER):
        assert_problem(await listing(client, headers), 403)


async def test_a_revoked_token_gets_401_at_once_and_revoking_again_changes_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    made = await issue(client, ADMIN, role="auditor", scope="yzs-g1", label="审计 王")
    token, token_id = made.json()["token"], made.json()["credential"]["id"]
    assert (await client.get("/api/me", headers=bearer(token))).status_code == 200

    response = await client.post(f"/api/tokens/{token_id}/revocation", headers=ADMIN)
    assert response.status_code == 200, response.text
    first = response.json()
    assert first["revoked_now"] is True
    assert first["credential"]["state"] == "revoked"
    assert first["credential"]["revoked_by"].startswith("admin:")
    assert_problem(await client.get("/api/me", headers=bearer(token)), 401, "not_authenticated")

    again = (await client.post(f"/api/tokens/{token_id}/revocation", headers=ADMIN)).json()
    assert again["revoked_now"] is False
    assert again["credential"] == first["credential"]
    live = (await listing(client, ADMIN, scope="yzs-g1")).json()["credentials"]
    assert token_id not in {c["id"] for c in live}
    every = (await listing(client, ADMIN, scope="yzs-g1", include_inactive=True)).json()
    assert token_id in {c["id"] for c in every["credentials"]}
    assert_problem(
        await client.post("/api/tokens/999999/revocation", headers=ADMIN), 404, "token_not_found"
    )


async def test_the_listing_never_shows_a_hash_and_pages_newest_first(
    client: Client, demo_engine: AsyncEngine
) -> None:
    hashes = await scalar(demo_engine, "SELECT min(token_hash) FROM api_token")
    first = await listing(client, ADMIN, limit=2, include_inactive=True)
    assert first.status_code == 200, first.text
    page = first.json()
    assert hashes not in first.text
    assert "token_hash" not in first.text
    assert len(page["credentials"]) == 2
    ids = [c["id"] for c in page["credentials"]]
    assert ids == sorted(ids, reverse=True)
    rest = (
        await listing(client, ADMIN, before=page["earlier"], limit=200, include_inactive=True)
    ).json()
    total = await scalar(demo_engine, "SELECT count(*) FROM api_token")
    assert len(page["credentials"]) + len(rest["credentials"]) == total
    assert rest["earlier"] is None
    council = (await listing(client, ADMIN, role="council", scope="yzs-g1-a")).json()
    assert [c["council_member"] for c in council["credentials"]] == ["yzs-g1-a"]


async def test_last_used_is_noted_on_use_but_not_rewritten_on_every_request(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, token_id = await make_token(demo_engine, Role.AUDITOR, "yanshan", label="used")
    query = "SELECT last_used_at FROM api_token WHERE id = :id"
    assert await scalar(demo_engine, query, id=token_id) is None
    assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200
    noted = await scalar(demo_engine, query, id=token_id)
    assert noted is not None
    for _ in range(3):
        assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200
    assert await scalar(demo_engine, query, id=token_id) == noted
    # a note older than a few minutes is noted again on the next use
    await execute(
        demo_engine,
        "UPDATE api_token SET last_used_at = :when WHERE id = :id",
        when=datetime.now(UTC) - timedelta(minutes=6),
        id=token_id,
    )
    old = await scalar(demo_engine, query, id=token_id)
    assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200
    assert await scalar(demo_engine, query, id=token_id) != old
    listed = (await listing(client, ADMIN, role="auditor")).json()["credentials"]
    shown = next(c for c in listed if c["id"] == token_id)
    assert shown["last_used_at"] is not None


async def test_concurrent_first_uses_all_get_in_and_note_the_use(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, token_id = await make_token(demo_engine, Role.AUDITOR, "yanshan", label="busy scanner")
    answers = await asyncio.gather(*(client.get("/api/me", headers=bearer(raw)) for _ in range(12)))
    assert [a.status_code for a in answers] == [200] * 12
    query = "SELECT last_used_at FROM api_token WHERE id = :id"
    assert await scalar(demo_engine, query, id=token_id) is not None


async def test_a_volunteer_moved_away_and_back_gets_no_old_token_back(client: Client) -> None:
    number = "YZS1-0002"
    response = await client.put(
        f"/api/volunteers/{number}/pin", json={"pin": "480613"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    signed = await client.post("/api/sign-in", json={"passbook_number": number, "pin": "480613"})
    assert signed.status_code == 200, signed.text
    old = bearer(signed.json()["token"])
    assert (await client.get("/api/me", headers=old)).status_code == 200

    status = f"/api/volunteers/{number}/status"
    assert (
        await client.put(status, json={"status": "moved_away"}, headers=ADMIN)
    ).status_code == 200
    assert (await client.put(status, json={"status": "active"}, headers=ADMIN)).status_code == 200
    assert_problem(await client.get("/api/me", headers=old), 401, "not_authenticated")
    revoked = (await listing(client, ADMIN, scope=number, include_inactive=True)).json()
    assert {c["state"] for c in revoked["credentials"]} == {"revoked"}
    # signing in anew works
    again = await client.post("/api/sign-in", json={"passbook_number": number, "pin": "480613"})
    assert (await client.get("/api/me", headers=bearer(again.json()["token"]))).status_code == 200


async def test_the_council_endpoint_still_issues_for_members_of_the_unit(client: Client) -> None:
    response = await client.post(
        "/api/council-members/yzs-g2-a/tokens", json={"valid_days": 7}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["member"]["code"] == "yzs-g2-a"
    listed = (await listing(client, ADMIN, scope="yzs-g2-a")).json()["credentials"]
    newest = listed[0]
    assert newest["council_member"] == "yzs-g2-a"
    assert newest["created_by"].startswith("admin:")
    life = datetime.fromisoformat(newest["expires_at"]) - datetime.fromisoformat(
        newest["created_at"]
    )
    assert life == timedelta(days=7)
