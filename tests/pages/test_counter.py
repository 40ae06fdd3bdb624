"""The counter (/scan) over HTTP: who may open it, the CSRF check, the plain forms without
script, the same key's replay, and the settlement downloads."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import scalar
from tests.api.rewards_helpers import redeemed
from tests.pages.helpers import csrf_of, set_pin, sign_in

Client = AsyncTestClient  # type: ignore[type-arg]
SESSION = "passbook_session"
MARKET_TOKEN = "pb_demo_merchant_market"
FRAGMENT = {"x-counter-fragment": "1"}
KEY_FIELD = re.compile(r'name="key" value="([^"]+)"')


def as_market(client: Client) -> None:
    client.cookies.set(SESSION, MARKET_TOKEN)


async def fresh_voucher(client: Client, reward: str = "vegetables") -> str:
    found = await redeemed(client, reward, quantity=1)
    code: str = found["vouchers"][0]["code"]
    return code


async def counter_csrf(client: Client) -> str:
    answer = await client.get("/scan")
    assert answer.status_code == 200, answer.text
    return csrf_of(answer)


async def consumptions(engine: AsyncEngine, code: str) -> int:
    plain = code.replace("-", "")
    return int(
        await scalar(
            engine,
            "SELECT count(*) FROM ledger_entry WHERE idempotency_key = :k",
            k=f"voucher:{plain}:used",
        )
    )


async def test_a_volunteer_session_cannot_open_the_counter(client: Client) -> None:
    await set_pin(client)
    await sign_in(client)
    answer = await client.get("/scan")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    verify = await client.post("/scan/verify", data={"code": "X"}, headers=FRAGMENT)
    assert verify.status_code == 403


async def test_a_stranger_is_sent_to_sign_in(client: Client) -> None:
    answer = await client.get("/scan", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")


async def test_the_session_cookie_is_not_taken_on_the_api(client: Client) -> None:
    as_market(client)
    answer = await client.post("/api/scan/verify", json={"code": "X"})
    assert answer.status_code == 401


async def test_verify_and_consume_without_csrf_are_refused(client: Client) -> None:
    code = await fresh_voucher(client)
    as_market(client)
    await counter_csrf(client)  # the CSRF cookie is set, but the form's token is not sent
    verify = await client.post("/scan/verify", data={"code": code}, headers=FRAGMENT)
    assert verify.status_code == 403
    consume = await client.post(
        "/scan/consume",
        data={"code": code, "key": "k1"},
        headers={**FRAGMENT, "Idempotency-Key": "k1"},
    )
    assert consume.status_code == 403


async def test_the_plain_forms_verify_then_hand_over_once(
    client: Client, demo_engine: AsyncEngine
) -> None:
    code = await fresh_voucher(client)
    as_market(client)
    token = await counter_csrf(client)
    typed = code.lower().replace("-", " ")
    verify = await client.post("/scan/verify", data={"code": typed, "_csrf_token": token})
    assert verify.status_code == 200
    assert 'data-verdict="valid"' in verify.text
    assert "可以兑换" in verify.text
    assert "王*兰" in verify.text
    key = KEY_FIELD.search(verify.text)
    assert key, "the green band offers a consume form with a server-made key"
    form = {"code": code, "key": key.group(1), "_csrf_token": token}
    done = await client.post("/scan/consume", data=form)
    assert done.status_code == 200
    assert 'data-verdict="done"' in done.text
    again = await client.post("/scan/consume", data=form)  # the same key: the stored answer
    assert again.status_code == 200
    assert 'data-verdict="done"' in again.text
    assert await consumptions(demo_engine, code) == 1
    rescan = await client.post("/scan/verify", data={"code": code, "_csrf_token": token})
    assert 'data-verdict="used"' in rescan.text
    assert "北京时间" in rescan.text
    other_key = {**form, "key": "another-scan"}
    refused = await client.post("/scan/consume", data=other_key)
    assert refused.status_code == 409
    assert 'data-verdict="used"' in refused.text
    assert await consumptions(demo_engine, code) == 1


async def test_a_replayed_key_answers_the_stored_result_as_a_fragment(
    client: Client, demo_engine: AsyncEngine
) -> None:
    code = await fresh_voucher(client)
    as_market(client)
    token = await counter_csrf(client)
    headers = {**FRAGMENT, "x-csrftoken": token, "Idempotency-Key": "scan-1"}
    first = await client.post("/scan/consume", data={"code": code}, headers=headers)
    second = await client.post("/scan/consume", data={"code": code}, headers=headers)
    for answer in (first, second):
        assert answer.status_code == 200
        assert 'data-verdict="done"' in answer.text
        assert "<html" not in answer.text  # the band alone
    assert "同一次扫码" in second.text
    assert await consumptions(demo_engine, code) == 1


async def test_another_merchants_voucher_is_red(client: Client) -> None:
    code = await fresh_voucher(client, "car-wash")
    as_market(client)
    token = await counter_csrf(client)
    headers = {**FRAGMENT, "x-csrftoken": token}
    verify = await client.post("/scan/verify", data={"code": code}, headers=headers)
    assert 'data-verdict="not_yours"' in verify.text
    assert 'data-tone="no"' in verify.text
    consume = await client.post(
        "/scan/consume", data={"code": code}, headers={**headers, "Idempotency-Key": "k"}
    )
    assert consume.status_code == 403
    assert 'data-verdict="not_yours"' in consume.text


async def test_a_consume_without_a_key_is_refused(client: Client) -> None:
    code = await fresh_voucher(client)
    as_market(client)
    token = await counter_csrf(client)
    answer = await client.post("/scan/consume", data={"code": code, "_csrf_token": token})
    assert answer.status_code == 422


async def test_unknown_codes_are_throttled_as_on_the_api(client: Client) -> None:
    as_market(client)
    token = await counter_csrf(client)
    headers = {**FRAGMENT, "x-csrftoken": token}
    statuses = []
    for n in range(11):
        bad = await client.post("/scan/verify", data={"code": f"ZZZZ{n}"}, headers=headers)
        statuses.append(bad.status_code)
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    assert 'data-verdict="paused"' in bad.text
    assert int(bad.headers["retry-after"]) > 0


async def test_today_and_the_settlement_downloads(client: Client) -> None:
    code = await fresh_voucher(client)
    as_market(client)
    token = await counter_csrf(client)
    headers = {**FRAGMENT, "x-csrftoken": token, "Idempotency-Key": "today-1"}
    await client.post("/scan/consume", data={"code": code}, headers=headers)
    page = await client.get("/scan")
    assert re.search(r"今天：已交付 [1-9]\d* 张", page.text)
    statement = await client.get("/scan/settlement")
    assert statement.status_code == 200
    assert code in statement.text
    csv = await client.get("/scan/settlement.csv")
    assert csv.status_code == 200
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = await client.get("/scan/settlement.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content.startswith(b"PK")
    bad_month = await client.get("/scan/settlement?month=2026-13")
    assert bad_month.status_code == 422


async def test_the_counter_page_allows_workers_from_the_service_only(client: Client) -> None:
    as_market(client)
    answer = await client.get("/scan")
    policy = answer.headers["content-security-policy"]
    assert "worker-src 'self'" in policy
    assert "blob:" not in policy
    assert "default-src 'none'" in policy
    worker = await client.get("/static/vendor/qr-scanner-1.4.2/qr-scanner-worker.js")
    assert worker.status_code == 200
    assert "javascript" in worker.headers["content-type"]


async def test_a_merchants_home_leads_to_the_counter(client: Client) -> None:
    as_market(client)
    home = await client.get("/")
    assert home.status_code == 200
    assert 'href="/scan"' in home.text
    assert home.text.count('href="/scan"') == 1  # in the page, not in its title
    assert "<title>首页 · 红色存折</title>" in home.text
