"""Sign-in codes over HTTP: an admin issues a code (shown once) that a device exchanges, once
and with no token, for a credential; wrong codes get one answer, in the reader's language,
and are throttled per client address; concurrent exchanges give one credential."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import access
import db
from access import Role
from cli import main
from tests.api.conftest import ADMIN, AUDITOR, concurrent_client
from tests.api.helpers import (
    answer_text,
    assert_problem,
    bearer,
    execute,
    make_token,
    scalar,
)

Client = AsyncTestClient  # type: ignore[type-arg]
GRID = "yzs-g1"
REDEEM = "/api/sign-in-codes/redemption"


async def issue(client: Client, headers: dict[str, str] = ADMIN, **body: Any) -> Any:
    body.setdefault("role", "merchant")
    body.setdefault("scope", "market")
    return await client.post("/api/sign-in-codes", json=body, headers=headers)


async def issued_code(client: Client, **body: Any) -> dict[str, Any]:
    response = await issue(client, **body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_code_becomes_a_credential_once(client: Client) -> None:
    made = await issued_code(client, label="收银台一号", valid_minutes=5)
    code = made["code"]
    assert len(code) == 9
    assert code[4] == "-"
    assert made["link_path"] == f"/signin/code/{code}"
    assert made["sign_in_code"]["label"] == "收银台一号"
    assert "code_hash" not in made["sign_in_code"]

    response = await client.post(REDEEM, json={"code": code.lower().replace("-", " ")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["role"], body["scope"], body["expires_in"]) == ("merchant", "market", 12 * 3600)
    me = await client.get("/api/me", headers=bearer(body["token"]))
    assert me.status_code == 200, me.text

    again = await client.post(REDEEM, json={"code": code})
    assert_problem(again, 401, "sign_in_code_refused")


async def test_unknown_used_and_expired_codes_get_one_answer_in_chinese_too(
    client: Client, demo_engine: AsyncEngine
) -> None:
    used = (await issued_code(client))["code"]
    assert (await client.post(REDEEM, json={"code": used})).status_code == 200
    expired = await issued_code(client)
    table, long_ago = access.sign_in_code, datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction(demo_engine) as conn:
        await conn.execute(
            table.update()
            .where(table.c.id == expired["sign_in_code"]["id"])
            .values(created_at=long_ago, expires_at=long_ago + timedelta(minutes=10))
        )
    unknown = "2345-6789" if used != "2345-6789" else "ZZZZ-ZZZZ"
    for language in ("en", "zh-CN"):
        await execute(demo_engine, "DELETE FROM throttle")  # one address: stay within its tries
        answers = []
        for code in (unknown, used, expired["code"]):
            response = await client.post(
                REDEEM, json={"code": code}, headers={"Accept-Language": language}
            )
            answers.append((response.status_code, answer_text(response)))
        assert len(set(answers)) == 1, answers
        status, text = answers[0]
        assert status == 401
        assert ("登录码" if language == "zh-CN" else "sign-in code") in text


async def test_guessing_is_throttled_and_the_right_code_waits_too(client: Client) -> None:
    code = (await issued_code(client))["code"]
    wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    for _ in range(5):
        assert_problem(await client.post(REDEEM, json={"code": wrong}), 401, "sign_in_code_refused")
    waiting = await client.post(REDEEM, json={"code": code})
    assert_problem(waiting, 429, "sign_in_code_throttled")
    # 30 s from the fifth wrong code, counted down by the time this request took to come
    assert 25 <= int(waiting.headers["Retry-After"]) <= 30


async def test_malformed_text_is_told_as_such(client: Client) -> None:
    response = await client.post(REDEEM, json={"code": "O0O0-1I1I"})
    assert_problem(response, 422, "sign_in_code_malformed")


async def test_an_admin_issues_codes_only_within_their_reach(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, _ = await make_token(demo_engine, Role.ADMIN, "yaotou", label="Yaotou staff")
    yaotou = bearer(raw)
    out_of_reach = await issue(client, yaotou, role="auditor", scope=GRID)
    assert_problem(out_of_reach, 403, "credential_out_of_reach")
    assert_problem(await issue(client, AUDITOR, role="auditor", scope=GRID), 403, "forbidden")
    assert_problem(await issue(client, ADMIN, role="merchant", scope="nosuch"), 422)
    assert_problem(await issue(client, ADMIN, valid_minutes=61), 422, "invalid_request")
    assert await scalar(demo_engine, "SELECT count(*) FROM sign_in_code") == 0


async def test_concurrent_exchanges_of_one_code_give_one_credential(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    code = (await issued_code(client, label="race"))["code"]
    before = await scalar(demo_engine, "SELECT count(*) FROM api_token")
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(concurrent.post(REDEEM, json={"code": code}) for _ in range(20))
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses[200] == 1, statuses
    assert set(statuses) <= {200, 401, 429}, statuses
    assert await scalar(demo_engine, "SELECT count(*) FROM api_token") == before + 1


async def test_an_admin_lists_and_revokes_open_codes(client: Client) -> None:
    made = await issued_code(client, role="auditor", scope=GRID)
    listed = (await client.get("/api/sign-in-codes", headers=ADMIN)).json()["sign_in_codes"]
    assert [c["id"] for c in listed] == [made["sign_in_code"]["id"]]
    revoked = await client.post(
        f"/api/sign-in-codes/{made['sign_in_code']['id']}/revocation", headers=ADMIN
    )
    assert revoked.status_code == 200, revoked.text
    assert_problem(await client.post(REDEEM, json={"code": made["code"]}), 401)
    assert (await client.get("/api/sign-in-codes", headers=ADMIN)).json()["sign_in_codes"] == []


async def passbook(*args: str, env: dict[str, str] | None = None) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def test_the_command_line_prints_a_code_that_redeems(
    client: Client, database_url: str
) -> None:
    made = await passbook(
        "signin-code", "create", "--role", "merchant", "--scope", "market",
        "--label", "Counter 3", "--minutes", "15", "--database-url", database_url,
        "--base-url", "http://192.168.1.5:8000",
        env={"PASSBOOK_LANG": "zh_CN"},
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    found = re.search(r"登录码：([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})", made.stdout)
    assert found is not None, made.stdout
    code = found.group(1)
    assert "（北京时间）" in made.stdout
    assert f"http://192.168.1.5:8000/signin/code/{code}" in made.stdout
    assert "█" in made.stdout or "▀" in made.stdout  # the QR, drawn in the terminal

    listed = await passbook("signin-code", "list", "--database-url", database_url)
    assert "Counter 3" in listed.stdout
    assert code not in listed.stdout

    response = await client.post(REDEEM, json={"code": code})
    assert response.status_code == 200, response.text
    assert response.json()["label"] == "Counter 3（登录码 1）"

    refused = await passbook(
        "signin-code", "create", "--role", "merchant", "--scope", "nosuch",
        "--database-url", database_url,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "unknown_credential_scope" in refused.output
