"""Request ids, the JSON request log and /metrics, through the app.

What it protects: every answer echoes a safe ``X-Request-ID`` (the caller's, or a fresh one)
and problem details and error pages carry the same id; each request writes one JSON log line
with exactly the documented fields and never a PIN, a token, a session cookie or a phone;
/metrics labels requests by route template, never by a raw path; and the books' counters
count each committed fact once (an idempotent replay counts nothing).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

import rewards
from seeds.demo import DEMO_PIN
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1B, VOLUNTEER, concurrent_client
from tests.api.helpers import bearer, writing
from tests.api.rewards_helpers import (
    MARKET,
    add_reward,
    pass_its_date,
    redeem,
    redeemed,
    scan,
)
from tests.api.test_grants import confirm, propose, second_admin
from tests.api.test_sheets import draft
from tests.pages.helpers import set_pin
from tests.pages.helpers import sign_in as page_sign_in

Client = AsyncTestClient  # type: ignore[type-arg]
LOG_FIELDS = {"time", "request_id", "method", "route", "status", "duration_ms"}
SIGNED_IN_FIELDS = LOG_FIELDS | {"role", "principal_id"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("sent", ["abc.DEF_1-2", "x" * 64])
async def test_a_safe_request_id_is_echoed_in_the_header_and_the_problem(
    client: Client, sent: str
) -> None:
    response = await client.get("/api/passbooks/YZS1-0001", headers={"X-Request-ID": sent})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == sent
    assert response.json()["request_id"] == sent


@pytest.mark.parametrize("sent", ["", "x" * 65, "has space", "a/b", "标识".encode(), "a\tb"])
async def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(
    client: Client, sent: str | bytes
) -> None:
    response = await client.get("/api/passbooks/YZS1-0001", headers={"X-Request-ID": sent})
    made = response.headers["x-request-id"]
    assert made != sent
    assert re.fullmatch(r"[0-9a-f]{16}", made)
    assert response.json()["request_id"] == made


async def test_each_request_gets_its_own_id_and_successes_carry_it(client: Client) -> None:
    ids = {(await client.get("/health")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


async def test_an_error_page_shows_the_request_id(client: Client) -> None:
    response = await client.get("/no-such-page", headers={"X-Request-ID": "page-err-1"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-request-id"] == "page-err-1"
    assert 'data-role="request-id"' in response.text
    assert "page-err-1" in response.text


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "passbook.request"
    ]


async def test_one_log_line_per_request_without_pin_token_cookie_or_phone(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="passbook.request")
    number, pin = DEMO_PIN
    await set_pin(client, pin, number)  # a PIN in the body
    phone = "13912345678"
    signed = await client.post(
        "/api/sign-in",
        json={"passbook_number": number, "pin": pin},
        headers={"X-Request-ID": "sign-in-1"},
    )
    assert signed.status_code == 200, signed.text
    token = signed.json()["token"]
    mine = await client.get(f"/api/passbooks/{number}", headers=bearer(token))
    assert mine.status_code == 200
    registered = await client.post(
        "/api/volunteers",
        json={"passbook_number": "YZS1-0951", "name": "李秀英", "grid": "yzs-g1", "phone": phone},
        headers=ADMIN,
    )
    assert registered.status_code == 201, registered.text
    searched = await client.get(f"/api/volunteers?unit=yzs-g1&q={phone}", headers=ADMIN)
    page = await page_sign_in(client, pin, number)
    assert page.status_code == 303, page.text
    cookie = client.cookies.get("passbook_session")
    assert cookie
    home = await client.get("/")
    assert home.status_code == 200

    lines = request_lines(caplog)
    assert len(lines) == 8, lines
    set_line, sign_in, read, register, search, form, page_line, home_line = lines
    assert (set_line["method"], set_line["route"]) == ("PUT", "/api/volunteers/{number}/pin")
    assert set(sign_in) == LOG_FIELDS
    assert (sign_in["request_id"], sign_in["method"], sign_in["route"], sign_in["status"]) == (
        "sign-in-1",
        "POST",
        "/api/sign-in",
        200,
    )
    assert set(read) == SIGNED_IN_FIELDS
    assert read["route"] == "/api/passbooks/{number}"
    assert (read["role"], read["request_id"]) == ("volunteer", mine.headers["x-request-id"])
    assert isinstance(read["principal_id"], int)
    assert (register["role"], register["status"]) == ("admin", 201)
    assert search["status"] == searched.status_code
    assert (form["route"], page_line["route"], page_line["method"]) == ("/signin",) * 2 + ("POST",)
    assert (home_line["route"], home_line["role"]) == ("/", "volunteer")
    assert all(isinstance(line["duration_ms"], (int, float)) for line in lines)
    # what a line says apart from its own id and clock: no secret, no person
    said = json.dumps(
        [{k: v for k, v in line.items() if k not in ("time", "request_id")} for line in lines],
        ensure_ascii=False,
    )
    for secret in [pin, token, cookie, phone, "pb_demo_admin", number, "YZS1-0951"]:
        assert secret not in said, secret
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name == "passbook.request")
    assert all(secret not in ours for secret in [token, cookie, phone, "pb_demo_admin"])


async def test_metrics_are_by_route_template_for_the_streets_admin_or_auditor(
    client: Client,
) -> None:
    assert (await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)).status_code == 200
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=VOLUNTEER)).status_code == 403
    for who in (ADMIN, AUDITOR):
        response = await client.get("/metrics", headers=who)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'passbook_http_request_duration_seconds_count{method="GET",'
        'route="/api/passbooks/{number}",status="200"}' in text
    )
    assert "YZS1-0001" not in text
    # one worker: its memory, resident now and at its peak, without a pid
    memory = dict(re.findall(r'passbook_worker_memory_bytes\{kind="(\w+)"\} (\S+)', text))
    assert 10 * 2**20 < float(memory["resident"]) <= float(memory["peak"]) < 2**32, memory


async def test_unmatched_paths_and_odd_methods_share_few_labels(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="passbook.request")
    before = sample(
        "passbook_http_request_duration_seconds_count",
        route="unmatched",
        method="other",
        status="404",
    )
    for n in range(3):
        await client.request(f"BREW{n}", f"/api/nothing-{n}")
    assert (
        sample(
            "passbook_http_request_duration_seconds_count",
            route="unmatched",
            method="other",
            status="404",
        )
        - before
        == 3
    )
    assert [(line["method"], line["route"]) for line in request_lines(caplog)] == [
        ("other", "unmatched")
    ] * 3
    assert 'route="/api/nothing-1"' not in (await client.get("/metrics", headers=ADMIN)).text


async def test_redeeming_and_consuming_count_once_and_a_replay_counts_nothing(
    client: Client,
) -> None:
    await add_reward(client, "obs-soap", cost_points=5)
    redeemed = sample("passbook_points_redeemed_total", grid="yzs-g1")
    consumed = sample("passbook_vouchers_consumed_total", merchant="market")
    first = await redeem(client, "obs-soap", key="obs-redeem-1", quantity=2)
    assert first.status_code == 201, first.text
    replay = await redeem(client, "obs-soap", key="obs-redeem-1", quantity=2)
    assert replay.status_code in (200, 201), replay.text
    assert sample("passbook_points_redeemed_total", grid="yzs-g1") - redeemed == 10
    code = first.json()["vouchers"][0]["code"]
    used = await client.post(
        "/api/scan/consume", json={"code": code}, headers=writing(MARKET, "obs-consume-1")
    )
    assert used.status_code == 200, used.text
    again = await client.post(
        "/api/scan/consume", json={"code": code}, headers=writing(MARKET, "obs-consume-1")
    )
    assert again.status_code == 200, again.text
    refused = await scan(client, "consume", code)
    assert refused.status_code == 409
    assert sample("passbook_vouchers_consumed_total", merchant="market") - consumed == 1


async def test_points_given_back_unused_are_counted_by_why(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """A cancelled voucher and an expired one each count their points as returned, once
    (cancelling again answers the same and counts nothing): redeemed minus returned is what
    was exchanged."""
    await add_reward(client, "obs-cup", cost_points=4)

    def returned(why: str) -> float:
        return sample("passbook_points_returned_total", grid="yzs-g1", why=why)

    cancelled, expired = returned("cancelled"), returned("expired")
    first, second = (await redeemed(client, "obs-cup", quantity=2))["vouchers"]
    for _ in range(2):
        response = await client.post(f"/api/vouchers/{first['id']}/cancel", headers=VOLUNTEER)
        assert response.status_code == 200, response.text
    assert returned("cancelled") - cancelled == 4
    await pass_its_date(demo_engine, second["id"])
    assert (await rewards.expire_vouchers(demo_engine)).vouchers == 1
    await rewards.expire_vouchers(demo_engine)  # a second sweep finds nothing to do
    assert returned("expired") - expired == 4
    assert returned("cancelled") - cancelled == 4


async def test_a_refused_redemption_counts_nothing(client: Client) -> None:
    await add_reward(client, "obs-car", cost_points=10**6)
    redeemed = sample("passbook_points_redeemed_total", grid="yzs-g1")
    refused = await redeem(client, "obs-car")
    assert refused.status_code == 409
    assert sample("passbook_points_redeemed_total", grid="yzs-g1") == redeemed


async def test_an_approved_sheet_and_a_confirmed_grant_count_their_points(
    client: Client, demo_engine: AsyncEngine
) -> None:
    sheets = sample("passbook_sheets_approved_total", grid="yzs-g1")
    issued = sample("passbook_points_issued_total", grid="yzs-g1", source="sheet")
    sheet = await draft(client, [("YZS1-0001", 3), ("YZS1-0002", 2)], submit=True)
    for _ in range(2):  # the same member approving again is a replay
        approved = await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B)
        assert approved.status_code == 200, approved.text
    assert sample("passbook_sheets_approved_total", grid="yzs-g1") - sheets == 1
    assert (
        sample("passbook_points_issued_total", grid="yzs-g1", source="sheet") - issued
        == sheet["total_points"]
        == 25
    )
    granted = sample("passbook_points_issued_total", grid="yzs-g1", source="grant")
    grant = (await propose(client)).json()
    other = await second_admin(demo_engine)
    for _ in range(2):
        assert (await confirm(client, grant["id"], other)).status_code == 200
    assert sample("passbook_points_issued_total", grid="yzs-g1", source="grant") - granted == 120


async def test_sign_in_failures_and_throttled_requests_are_counted(client: Client) -> None:
    number, _pin = DEMO_PIN
    wrong = sample("passbook_sign_in_failures_total", reason="sign_in_failed")
    throttled = sample("passbook_throttled_requests_total", route="/api/sign-in")
    statuses = []
    for _ in range(12):
        response = await client.post(
            "/api/sign-in", json={"passbook_number": number, "pin": "000000"}
        )
        statuses.append(response.status_code)
    failures = statuses.count(401)
    waits = statuses.count(429)
    assert failures >= 1, statuses
    assert waits >= 1, statuses
    assert sample("passbook_sign_in_failures_total", reason="sign_in_failed") - wrong == failures
    assert sample("passbook_throttled_requests_total", route="/api/sign-in") - throttled == waits


async def test_refused_sign_in_codes_are_counted_as_sign_in_failures(client: Client) -> None:
    refused = sample("passbook_sign_in_failures_total", reason="sign_in_code_refused")
    waited = sample("passbook_sign_in_failures_total", reason="sign_in_code_throttled")
    statuses = []
    for _ in range(8):  # a well-formed code nobody issued: five free tries, then a wait
        response = await client.post("/api/sign-in-codes/redemption", json={"code": "7KQ4-M2XD"})
        statuses.append(response.status_code)
    assert statuses.count(401) >= 1, statuses
    assert statuses.count(429) >= 1, statuses
    assert statuses.count(401) + statuses.count(429) == len(statuses), statuses
    now_refused = sample("passbook_sign_in_failures_total", reason="sign_in_code_refused")
    now_waited = sample("passbook_sign_in_failures_total", reason="sign_in_code_throttled")
    assert now_refused - refused == statuses.count(401)
    assert now_waited - waited == statuses.count(429)


async def test_concurrent_redemptions_with_one_key_count_once_on_either_database(
    client: Client, database_url: str
) -> None:
    """Twenty requests with one key race: one commits; the others lose on the key's unique
    index (a retried transaction that then replays it) or find it stored: points counted once."""
    await add_reward(client, "obs-kite", cost_points=3)
    before = sample("passbook_points_redeemed_total", grid="yzs-g1")
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(redeem(concurrent, "obs-kite", key="obs-race-1") for _ in range(20))
        )
    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sample("passbook_points_redeemed_total", grid="yzs-g1") - before == 3
