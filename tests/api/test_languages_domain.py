"""The domain's own sentences come in the reader's language: the same refusal, and the same
answer, is Chinese with ``Accept-Language: zh-CN`` and English without it, with the same
``code`` either way (programs read the code, people read the words)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.api.conftest import COUNCIL_G1, VOLUNTEER
from tests.api.helpers import assert_problem
from tests.api.rewards_helpers import MARKET, add_reward, redeem, redeemed, scan
from tests.api.test_sheets import sheet_body

Client = AsyncTestClient  # type: ignore[type-arg]
CHINESE = {"Accept-Language": "zh-CN"}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)


def in_chinese(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, **CHINESE}


async def test_not_enough_points_to_redeem_in_either_language(client: Client) -> None:
    await add_reward(client, "bike", cost_points=100, stock_total=3)
    english = assert_problem(await redeem(client, "bike", quantity=2), 409, "insufficient_points")
    chinese = assert_problem(
        await redeem(client, "bike", quantity=2, headers=in_chinese(VOLUNTEER)),
        409,
        "insufficient_points",
    )
    assert english["title"] == "Not enough points"
    assert "Redeeming 2 × 测试奖品 bike needs 200 points" in english["detail"]
    assert "80 points short" in english["detail"]
    assert chinese["title"] == "积分不足"
    assert "兑换 2 × 测试奖品 bike" in chinese["detail"]
    assert "差 80 积分" in chinese["detail"]
    assert "points" not in chinese["detail"]
    assert (chinese["available"], chinese["needed"], chinese["short"]) == (120, 200, 80)


async def test_a_voucher_scanned_twice_is_already_used_in_china_standard_time(
    client: Client,
) -> None:
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    first = await scan(client, "consume", voucher["code"], in_chinese(MARKET))
    assert first.status_code == 200, first.text
    assert first.json()["message"].startswith("已核销：请交付 测试奖品 soap。")

    english = assert_problem(
        await scan(client, "consume", voucher["code"]), 409, "voucher_already_used"
    )
    chinese = assert_problem(
        await scan(client, "consume", voucher["code"], in_chinese(MARKET)),
        409,
        "voucher_already_used",
    )
    used_at = english["used_at"]
    assert english["detail"].startswith(f"Already used on {used_at} (China Standard Time)")
    assert "no Idempotency-Key" in english["detail"]
    assert chinese["detail"].startswith(f"该券已于 {used_at}（北京时间）由本扫码设备")
    assert "请不要再次交付" in chinese["detail"]
    assert "China Standard Time" not in chinese["detail"]
    assert chinese["used_at"] == used_at  # the figures are the same facts in either language

    looked = await scan(client, "verify", voucher["code"], in_chinese(MARKET))
    assert looked.json()["verdict"] == "used"
    assert looked.json()["message"] == (
        f"已使用：测试奖品 soap 已于 {used_at}（北京时间）核销。请不要再次交付。"
    )
    plain = await scan(client, "verify", voucher["code"])
    assert plain.json()["message"] == (
        f"Already used on {used_at}: 测试奖品 soap. Do not hand it over again."
    )


async def test_a_council_sheet_refusal_in_either_language(client: Client) -> None:
    body = sheet_body([("YZS1-0001", 1), ("YZS2-0001", 1)])
    english = assert_problem(
        await client.post("/api/sheets", json=body, headers=COUNCIL_G1),
        422,
        "invalid_scoring_sheet",
    )
    chinese = assert_problem(
        await client.post("/api/sheets", json=body, headers=in_chinese(COUNCIL_G1)),
        422,
        "invalid_scoring_sheet",
    )
    assert english["detail"].startswith("1 line problem(s) on this sheet: line 2 (YZS2-0001): ")
    assert "no passbook with this number in this grid" in english["detail"]
    assert chinese["detail"].startswith(
        "这张记分单有 1 处行问题：第 2 行（YZS2-0001）：本网格没有这个编号的存折"
    )
    assert "未保存任何内容" in chinese["detail"]
    assert not has_chinese(english["detail"])
    # the figure a program reads is the same either way
    assert chinese["lines"] == english["lines"]


async def reasons(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/rewards", headers=headers)
    assert response.status_code == 200, response.text
    offers = {offer["reward"]["code"]: offer for offer in response.json()["offers"]}
    return {reason["code"]: reason["message"] for reason in offers["pricey"]["reasons"]}


async def test_why_a_reward_cannot_be_redeemed_in_either_language(client: Client) -> None:
    await add_reward(client, "pricey", cost_points=500, org_unit="yzs-g2")
    english = await reasons(client, VOLUNTEER)
    chinese = await reasons(client, in_chinese(VOLUNTEER))
    assert set(english) == set(chinese) == {"not_enough_points", "not_eligible"}
    assert english["not_enough_points"] == (
        "测试奖品 pricey costs 500 points; this passbook has 120 available, 380 short."
    )
    assert chinese["not_enough_points"] == (
        "测试奖品 pricey 需要 500 积分；这本存折可用 120 积分，还差 380 积分。"
    )
    assert english["not_eligible"].startswith("测试奖品 pricey is only for volunteers of ")
    assert chinese["not_eligible"].startswith("测试奖品 pricey 仅限 ")
    assert chinese["not_eligible"].endswith("的志愿者兑换。")
