"""Opening balances and adjustments through the API and the command line, on the demo books:
one staff member proposes, another confirms, and the passbook's statement shows
纸质存折余额结转 with the paper passbook's date."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from cli import main
from scheme_time import scheme_today
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    entry_count,
    make_token,
    statement_lines,
    verify,
    writing,
)

Client = AsyncTestClient  # type: ignore[type-arg]
NUMBER = "YZS1-0003"  # a lived-in volunteer of grid yzs-g1 with no opening balance
PAPER = {"points": 120, "as_of": "2025-06-30"}


async def second_admin(engine: AsyncEngine, scope: str = "yanshan") -> dict[str, str]:
    raw, _ = await make_token(engine, Role.ADMIN, scope, label=f"second admin of {scope}")
    return bearer(raw)


async def propose(
    client: Any, number: str = NUMBER, headers: dict[str, str] = ADMIN, **body: Any
) -> Any:
    return await client.post(
        f"/api/passbooks/{number}/opening-balance", json=PAPER | body, headers=writing(headers)
    )


async def confirm(client: Any, grant_id: int, headers: dict[str, str]) -> Any:
    return await client.post(f"/api/grants/{grant_id}/confirmation", headers=headers)


async def test_proposed_by_one_confirmed_by_another_posts_once_with_the_paper_date(
    client: Client, demo_engine: AsyncEngine
) -> None:
    other = await second_admin(demo_engine)
    before = (await balance(client, NUMBER))["posted"]
    proposed = await propose(client)
    assert proposed.status_code == 201, proposed.text
    grant = proposed.json()
    assert (grant["status"], grant["kind"], grant["entry_id"]) == ("proposed", "opening", None)
    assert grant["memo"] == "纸质存折余额结转（纸质存折日期 2025-06-30）"
    assert (await balance(client, NUMBER))["posted"] == before
    entries = await entry_count(client)
    confirmed = await confirm(client, grant["id"], other)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["replayed"]) == ("confirmed", False)
    again = await confirm(client, grant["id"], other)
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["entry_id"] == confirmed.json()["entry_id"]
    assert await entry_count(client) == entries + 1
    after = await balance(client, NUMBER)
    assert after["posted"] == before + 120
    last = (await statement_lines(client, NUMBER))[-1]
    assert (last["kind"], last["points"], last["date"]) == ("opening", 120, "2025-06-30")
    assert last["what_for"] == "纸质存折余额结转（纸质存折日期 2025-06-30）"
    assert last["entry_id"] == confirmed.json()["entry_id"]
    assert (await verify(client))["ok"] is True


async def test_the_proposer_confirming_is_refused_and_moves_no_points(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grant = (await propose(client)).json()
    entries = await entry_count(client)
    body = assert_problem(await confirm(client, grant["id"], ADMIN), 403, "four_eyes")
    assert "another staff member must confirm" in body["detail"]
    assert await entry_count(client) == entries
    listed = await client.get("/api/grants", params={"status": "proposed"}, headers=AUDITOR)
    assert listed.status_code == 200, listed.text
    assert [g["id"] for g in listed.json()["grants"]] == [grant["id"]]


async def test_a_second_opening_balance_is_refused(
    client: Client, demo_engine: AsyncEngine
) -> None:
    first = (await propose(client)).json()
    body = assert_problem(await propose(client, points=5), 409, "opening_balance_exists")
    assert body["grant_id"] == first["id"]
    # the demo carried YZS1-0001's paper passbook over in the ledger itself
    body = assert_problem(await propose(client, "YZS1-0001"), 409, "opening_balance_exists")
    assert "entry_id" in body


async def test_rejected_then_a_new_opening_is_allowed(
    client: Client, demo_engine: AsyncEngine
) -> None:
    other = await second_admin(demo_engine)
    grant = (await propose(client, points=1200)).json()
    rejected = await client.post(
        f"/api/grants/{grant['id']}/rejection", json={"reason": "typo: 120"}, headers=other
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["withdrawn"]) == ("rejected", False)
    assert_problem(await confirm(client, grant["id"], other), 409, "grant_state_conflict")
    again = await propose(client)
    assert again.status_code == 201, again.text


async def test_out_of_scope_staff_and_other_roles_are_refused(
    client: Client, demo_engine: AsyncEngine
) -> None:
    yaotou = await second_admin(demo_engine, "yaotou")
    assert_problem(await propose(client, headers=yaotou), 403)
    grant = (await propose(client)).json()
    body = assert_problem(await confirm(client, grant["id"], yaotou), 403)
    assert NUMBER not in body["detail"]
    assert_problem(await confirm(client, grant["id"], COUNCIL_G1), 403)
    assert_problem(await confirm(client, grant["id"], AUDITOR), 403)
    assert (await client.get("/api/grants", headers=yaotou)).json()["grants"] == []


async def test_terms_and_keys(client: Client, demo_engine: AsyncEngine) -> None:
    assert_problem(await propose(client, points=0), 422)
    tomorrow = (scheme_today() + timedelta(days=1)).isoformat()
    assert_problem(await propose(client, as_of=tomorrow), 422, "invalid_grant")
    adjust = f"/api/passbooks/{NUMBER}/adjustments"
    assert_problem(await client.post(adjust, json=PAPER, headers=writing(ADMIN)), 422)  # no reason
    key = writing(ADMIN)
    made = await client.post(adjust, json=PAPER | {"reason": "2025年敬老院探访"}, headers=key)
    assert made.status_code == 201, made.text
    assert made.json()["memo"] == "补记积分：2025年敬老院探访（服务日期 2025-06-30）"
    same = await client.post(adjust, json=PAPER | {"reason": "2025年敬老院探访"}, headers=key)
    assert (same.json()["id"], same.json()["replayed"]) == (made.json()["id"], True)
    other = await client.post(adjust, json=PAPER | {"reason": "另一次"}, headers=key)
    assert_problem(other, 409, "idempotency_conflict")
    # service recent enough for a scoring sheet is scored on one, by the council
    for days in (0, 60):
        recent = {
            "points": 3,
            "reason": "上周探访",
            "as_of": (scheme_today() - timedelta(days=days)).isoformat(),
        }
        body = assert_problem(
            await client.post(adjust, json=recent, headers=ADMIN), 422, "invalid_grant"
        )
        assert (body["field"], body["sheet_max_age_days"]) == ("as_of", 60)
    old = {
        "points": 3,
        "reason": "两个月前的探访",
        "as_of": (scheme_today() - timedelta(days=61)).isoformat(),
    }
    assert (await client.post(adjust, json=old, headers=ADMIN)).status_code == 201


async def test_a_batch_is_confirmed_at_once(client: Client, demo_engine: AsyncEngine) -> None:
    other = await second_admin(demo_engine)
    for number in (NUMBER, "YZS1-0004", "YZS2-0002"):
        assert (await propose(client, number, batch="paper-2025")).status_code == 201
    entries = await entry_count(client)
    url = "/api/grant-batches/paper-2025/confirmation"
    assert_problem(await client.post(url, headers=ADMIN), 403, "four_eyes")
    assert await entry_count(client) == entries
    done = await client.post(url, headers=other)
    assert done.status_code == 200, done.text
    assert (done.json()["posted"], done.json()["points"]) == (3, 360)
    again = await client.post(url, headers=other)
    assert again.json()["posted"] == 0
    assert await entry_count(client) == entries + 3
    assert_problem(await client.post("/api/grant-batches/nosuch/confirmation", headers=other), 404)
    assert (await verify(client))["ok"] is True


async def test_two_people_confirming_at_once_post_once(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    deciders = [await second_admin(demo_engine) for _ in range(2)]
    grant = (await propose(client)).json()
    entries = await entry_count(client)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(confirm(concurrent, grant["id"], deciders[i % 2]) for i in range(10))
        )
    assert Counter(r.status_code for r in responses) == {200: 10}, [r.text for r in responses]
    assert sum(r.json()["replayed"] is False for r in responses) == 1
    assert len({r.json()["entry_id"] for r in responses}) == 1
    assert await entry_count(client) == entries + 1
    assert (await verify(client))["ok"] is True


async def passbook(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_two_people_at_the_command_line(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    db_ = ["--database-url", database_url]
    added = await passbook(
        "opening", "add", NUMBER, "--points", "80", "--date", "2025-05-31", "--by", "张", *db_
    )
    assert added.exit_code == 0, added.output
    grant_id = added.output.split()[1]
    listed = await passbook("grants", "list", "--status", "proposed", *db_)
    assert f"{grant_id}  opening  proposed  {NUMBER}" in listed.output
    same = await passbook("grants", "confirm", grant_id, "--by", "张", *db_)
    assert same.exit_code == 1
    assert "four_eyes" in same.output
    done = await passbook("grants", "confirm", grant_id, "--by", "李", *db_)
    assert done.exit_code == 0, done.output
    assert "1 grant(s) posted now, 80 points." in done.output
    last = (await statement_lines(client, NUMBER))[-1]
    assert (last["what_for"], last["date"]) == (
        "纸质存折余额结转（纸质存折日期 2025-05-31）",
        "2025-05-31",
    )
    second = await passbook(
        "opening", "add", NUMBER, "--points", "1", "--date", "2025-05-31", "--by", "李", *db_
    )
    assert second.exit_code == 1
    assert "opening_balance_exists" in second.output
    adj = await passbook(
        "adjustment", "add", NUMBER, "--points", "6", "--date", "2025-04-01",
        "--reason", "春季义诊", "--by", "李", *db_,
    )  # fmt: skip
    assert adj.exit_code == 0, adj.output
    rejected = await passbook(
        "grants", "reject", adj.output.split()[1], "--reason", "重复", "--by", "李", *db_
    )
    assert rejected.exit_code == 0, rejected.output
    assert "Rejected by cli:李" in rejected.output
    for number in ("YZS1-0004", "YZS1-0005"):
        made = await passbook(
            "opening", "add", number, "--points", "30", "--date", "2025-05-31", "--batch", "纸本",
            "--by", "张", *db_,
        )  # fmt: skip
        assert made.exit_code == 0, made.output
    assert (await passbook("grants", "confirm", "--by", "李", *db_)).exit_code == 2
    batch = await passbook("grants", "confirm", "--batch", "纸本", "--by", "李", *db_)
    assert batch.exit_code == 0, batch.output
    assert "2 grant(s) posted now, 60 points." in batch.output
    verified = await passbook("verify", *db_)
    assert verified.exit_code == 0, verified.output
    assert "OK: the books balance" in verified.output
