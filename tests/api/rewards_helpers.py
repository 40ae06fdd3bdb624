"""Building blocks of the rewards API tests: demo merchant tokens, a reward made through the
API, redeeming and scanning in one line each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

import rewards
from tests.api.conftest import ADMIN, VOLUNTEER
from tests.api.helpers import bearer, execute, scalar, writing

MARKET = bearer("pb_demo_merchant_market")
CARWASH = bearer("pb_demo_merchant_carwash")


async def add_reward(client: Any, code: str, **fields: Any) -> dict[str, Any]:
    """A reward of the demo supermarket (5 points, unlimited unless told) made by the admin."""
    body = {
        "code": code,
        "name": f"测试奖品 {code}",
        "kind": "goods",
        "cost_points": 5,
        "merchant": "market",
        **fields,
    }
    response = await client.post("/api/rewards", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def redeem(
    client: Any,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    key: str | None = None,
    **body: Any,
) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"/api/rewards/{code}/redemptions", json=body, headers=writing(headers or VOLUNTEER, key)
    )
    return response


async def redeemed(client: Any, code: str, **body: Any) -> dict[str, Any]:
    response = await redeem(client, code, **body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def scan(
    client: Any, action: str, code: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"/api/scan/{action}", json={"code": code}, headers=headers or MARKET
    )
    return response


async def stock_used(engine: AsyncEngine, code: str) -> int:
    return int(await scalar(engine, "SELECT stock_used FROM reward WHERE code = :c", c=code))


async def open_holds(engine: AsyncEngine, number: str) -> tuple[int, int]:
    """(count, points) of the open holds on a passbook."""
    count = await scalar(
        engine,
        "SELECT count(*) FROM ledger_hold h JOIN volunteer v ON v.account_id = h.account_id "
        "WHERE v.passbook_number = :n AND h.status = 'held'",
        n=number,
    )
    points = await scalar(
        engine,
        "SELECT coalesce(sum(h.amount), 0) FROM ledger_hold h JOIN volunteer v "
        "ON v.account_id = h.account_id WHERE v.passbook_number = :n AND h.status = 'held'",
        n=number,
    )
    return int(count), int(points)


def mistype(code: str, position: int) -> str:
    """The code with one character replaced by the next one of the alphabet."""
    raw = code.replace("-", "")
    wrong = rewards.ALPHABET[(rewards.ALPHABET.index(raw[position]) + 1) % len(rewards.ALPHABET)]
    return raw[:position] + wrong + raw[position + 1 :]


async def pass_its_date(engine: AsyncEngine, voucher_id: int) -> None:
    """The clock passes the voucher's date (issued three days ago, expired a second ago); the
    expiry sweep has not closed it yet."""
    await execute(
        engine,
        "UPDATE voucher SET issued_at = :i, expires_at = :t WHERE id = :v",
        i=datetime.now(UTC) - timedelta(days=3),
        t=datetime.now(UTC) - timedelta(seconds=1),
        v=voucher_id,
    )
