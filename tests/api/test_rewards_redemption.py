"""Redeeming through the API: points held, stock taken, vouchers issued, idempotent; cancel
gives everything back; the owner sees their vouchers and their images."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import ADMIN, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    new_key,
    statement_lines,
    verify,
)
from tests.api.rewards_helpers import (
    MARKET,
    add_reward,
    open_holds,
    pass_its_date,
    redeem,
    redeemed,
    scan,
    stock_used,
)

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_redeeming_holds_points_takes_stock_and_issues_vouchers(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", cost_points=12, stock_total=5, voucher_valid_days=7)
    before = await balance(client, "YZS1-0001")
    body = await redeemed(client, "soap", quantity=2)

    assert body["quantity"] == 2
    assert body["total_points"] == 24
    assert body["passbook"] == "YZS1-0001"
    assert body["replayed"] is False
    assert len(body["vouchers"]) == 2
    for voucher in body["vouchers"]:
        assert voucher["status"] == "issued"
        assert voucher["points"] == 12
        assert voucher["reward"]["code"] == "soap"
        assert voucher["merchant"]["code"] == "market"
        assert len(voucher["code"]) == 24  # five groups of four, dashed
        assert voucher["code"].count("-") == 4
    after = await balance(client, "YZS1-0001")
    assert after["held"] == before["held"] + 24
    assert after["available"] == before["available"] - 24
    assert after["posted"] == before["posted"]  # nothing spent until a voucher is used
    assert await stock_used(demo_engine, "soap") == 2
    assert await open_holds(demo_engine, "YZS1-0001") == (2, 24)
    assert (await verify(client))["ok"] is True


async def test_a_replayed_key_returns_the_first_redemption_and_takes_nothing_more(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5)
    key = new_key()
    first = await redeem(client, "soap", key=key)
    again = await redeem(client, "soap", key=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["vouchers"] == first.json()["vouchers"]
    assert await stock_used(demo_engine, "soap") == 1
    assert (await balance(client, "YZS1-0001"))["held"] == 5

    other = await redeem(client, "soap", key=key, quantity=2)
    assert_problem(other, 409, "idempotency_conflict")
    assert await stock_used(demo_engine, "soap") == 1


async def test_not_enough_points_is_refused_with_the_figures_and_leaves_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "bike", cost_points=100, stock_total=3)
    body = assert_problem(await redeem(client, "bike", quantity=2), 409, "insufficient_points")
    assert (body["available"], body["needed"], body["short"]) == (120, 200, 80)
    assert await stock_used(demo_engine, "bike") == 0
    assert (await balance(client, "YZS1-0001"))["held"] == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"quantity": 0}, 422, "invalid_request"),
        ({"quantity": 11}, 422, "invalid_request"),
        ({"quantity": "two"}, 422, "invalid_request"),
        ({"quantity": 1, "colour": "red"}, 422, "invalid_request"),
    ],
)
async def test_malformed_redemptions_are_refused(
    client: Client, demo_engine: AsyncEngine, body: dict[str, object], status: int, code: str
) -> None:
    await add_reward(client, "soap", stock_total=5)
    response = await client.post(
        "/api/rewards/soap/redemptions",
        json=body,
        headers={**VOLUNTEER, "Idempotency-Key": new_key()},
    )
    assert_problem(response, status, code)
    assert await stock_used(demo_engine, "soap") == 0


async def test_a_redemption_needs_a_key_and_a_known_reward(client: Client) -> None:
    response = await client.post("/api/rewards/soap/redemptions", json={}, headers=VOLUNTEER)
    assert_problem(response, 422)
    assert_problem(await redeem(client, "no-such-reward"), 404, "reward_not_found")


async def test_who_may_redeem_for_whom(client: Client, demo_engine: AsyncEngine) -> None:
    await add_reward(client, "soap")
    # a volunteer only for themself
    assert_problem(await redeem(client, "soap", passbook="YZS1-0002"), 403, "forbidden")
    # a council member or a merchant cannot redeem at all
    assert_problem(
        await redeem(client, "soap", headers=COUNCIL_G1, passbook="YZS1-0001"), 403, "forbidden"
    )
    assert_problem(
        await redeem(client, "soap", headers=MARKET, passbook="YZS1-0001"), 403, "forbidden"
    )
    # an admin must say whose passbook
    assert_problem(await redeem(client, "soap", headers=ADMIN), 422)
    # a grid worker (admin) on the holder's behalf: the books say who did it
    done = await redeem(client, "soap", headers=ADMIN, passbook="YZS1-0002")
    assert done.status_code == 201, done.text
    assert done.json()["recorded_by"].startswith("admin:")
    assert done.json()["passbook"] == "YZS1-0002"


async def test_cancelling_gives_points_stock_and_limit_back(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=3, per_volunteer_limit=1)
    first = await redeemed(client, "soap")
    assert_problem(await redeem(client, "soap"), 409, "limit_reached")

    voucher_id = first["vouchers"][0]["id"]
    cancelled = await client.post(f"/api/vouchers/{voucher_id}/cancel", headers=VOLUNTEER)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert (await balance(client, "YZS1-0001"))["held"] == 0
    assert await stock_used(demo_engine, "soap") == 0
    # cancelling again answers the same; the place came back
    again = await client.post(f"/api/vouchers/{voucher_id}/cancel", headers=VOLUNTEER)
    assert again.status_code == 200
    assert again.json()["status"] == "cancelled"
    assert (await redeem(client, "soap")).status_code == 201
    # a cancelled voucher never scans
    verdict = await scan(client, "verify", first["vouchers"][0]["code"])
    assert verdict.json()["verdict"] == "cancelled"
    assert_problem(
        await scan(client, "consume", first["vouchers"][0]["code"]), 409, "voucher_cancelled"
    )
    assert (await verify(client))["ok"] is True


async def test_cancelling_a_redemption_leaves_used_vouchers_alone(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5)
    body = await redeemed(client, "soap", quantity=3)
    used = body["vouchers"][0]["code"]
    assert (await scan(client, "consume", used)).status_code == 200

    response = await client.post(f"/api/redemptions/{body['id']}/cancel", headers=VOLUNTEER)
    assert response.status_code == 200, response.text
    assert [v["status"] for v in response.json()["vouchers"]] == ["used", "cancelled", "cancelled"]
    assert await stock_used(demo_engine, "soap") == 1
    assert (await balance(client, "YZS1-0001"))["held"] == 0
    assert (await balance(client, "YZS1-0001"))["posted"] == 115

    # a used voucher cannot be cancelled; nor can someone else's
    assert_problem(
        await client.post(f"/api/vouchers/{body['vouchers'][0]['id']}/cancel", headers=VOLUNTEER),
        409,
        "voucher_already_used",
    )
    other = bearer("pb_demo_council_g1")
    assert_problem(await client.post(f"/api/redemptions/{body['id']}/cancel", headers=other), 403)


async def test_the_owner_sees_their_vouchers_and_images(client: Client) -> None:
    await add_reward(client, "soap", stock_total=5)
    body = await redeemed(client, "soap")
    voucher = body["vouchers"][0]

    listed = await client.get("/api/passbooks/YZS1-0001/vouchers", headers=VOLUNTEER)
    assert listed.status_code == 200, listed.text
    assert [v["id"] for v in listed.json()["vouchers"]] == [voucher["id"]]
    issued = await client.get(
        "/api/passbooks/YZS1-0001/vouchers", params={"status": "used"}, headers=VOLUNTEER
    )
    assert issued.json()["vouchers"] == []
    # a grid worker may print it for the holder; another volunteer may not see it
    assert (await client.get(f"/api/vouchers/{voucher['id']}", headers=ADMIN)).status_code == 200
    assert_problem(await client.get("/api/passbooks/YZS1-0001/vouchers", headers=COUNCIL_G1), 403)

    raw = voucher["code"].replace("-", "")
    for kind in ("barcode", "qr"):
        svg = await client.get(voucher["images"][f"{kind}_svg"], headers=VOLUNTEER)
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.headers["cache-control"] == "no-store"
        assert b"<svg" in svg.content
        png = await client.get(voucher["images"][f"{kind}_png"], headers=VOLUNTEER)
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    barcode = await client.get(voucher["images"]["barcode_svg"], headers=VOLUNTEER)
    assert voucher["code"].encode() in barcode.content  # the printed text under the bars
    assert raw not in voucher["images"]["qr_svg"]  # the code is never in an image's URL
    bad = await client.get(
        f"/api/vouchers/{voucher['id']}/qr", params={"format": "gif"}, headers=VOLUNTEER
    )
    assert_problem(bad, 422)


async def _all_pages(client: Client, limit: int, **params: str) -> list[list[int]]:
    pages: list[list[int]] = []
    before: int | None = None
    while True:
        query: dict[str, str | int] = {"limit": limit, **params}
        if before is not None:
            query["before"] = before
        response = await client.get(
            "/api/passbooks/YZS1-0001/vouchers", params=query, headers=VOLUNTEER
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([v["id"] for v in body["vouchers"]])
        before = body["earlier"]
        if before is None:
            return pages


async def test_a_passbooks_vouchers_come_a_page_at_a_time_by_their_state_now(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=30)
    ids = []
    for _ in range(3):
        ids += [v["id"] for v in (await redeemed(client, "soap", quantity=3))["vouchers"]]
    vouchers = {
        v["id"]: v
        for v in (await client.get("/api/passbooks/YZS1-0001/vouchers", headers=VOLUNTEER)).json()[
            "vouchers"
        ]
    }
    newest_first = sorted(ids, reverse=True)
    assert list(vouchers) == newest_first
    used, cancelled, past_date = newest_first[0], newest_first[4], newest_first[7]
    assert (await scan(client, "consume", vouchers[used]["code"])).status_code == 200
    response = await client.post(f"/api/vouchers/{cancelled}/cancel", headers=VOLUNTEER)
    assert response.status_code == 200, response.text
    await pass_its_date(demo_engine, past_date)

    # pages of 4 walk the nine vouchers once each, newest first, and say when there are no more
    assert await _all_pages(client, 4) == [newest_first[:4], newest_first[4:8], newest_first[8:]]
    assert await _all_pages(client, 9) == [newest_first]
    # the state filter is applied before the page is cut: a page is full if there are more
    issued = [i for i in newest_first if i not in (used, cancelled, past_date)]
    assert await _all_pages(client, 2, status="issued") == [issued[:2], issued[2:4], issued[4:]]
    assert await _all_pages(client, 2, status="expired") == [[past_date]]
    assert await _all_pages(client, 2, status="used") == [[used]]
    assert await _all_pages(client, 2, status="cancelled") == [[cancelled]]
    for bad in ({"limit": 0}, {"limit": 201}, {"before": 0}, {"status": "lost"}):
        assert_problem(
            await client.get("/api/passbooks/YZS1-0001/vouchers", params=bad, headers=VOLUNTEER),
            422,
        )


async def test_statement_shows_the_voucher_when_it_is_used(client: Client) -> None:
    await add_reward(client, "soap", stock_total=5)
    body = await redeemed(client, "soap")
    assert (await scan(client, "consume", body["vouchers"][0]["code"])).status_code == 200
    line = (await statement_lines(client, "YZS1-0001"))[-1]
    assert line["points"] == -5
    # in the books' own language, with the reward, the merchant and the voucher's code
    code = re.escape(body["vouchers"][0]["code"])
    assert re.fullmatch(rf"兑换 测试奖品 soap · [^\x00-\x7f]+（券 {code}）", line["what_for"]), line
