"""A passbook's balance and statement: the figures, who may read them, and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import (
    assert_problem,
    bearer,
    make_token,
    move_points,
    new_key,
    statement_lines,
)

Client = AsyncTestClient  # type: ignore[type-arg]

WANG = {
    "number": "YZS1-0001",
    "holder": "王秀兰",
    "grid": {"code": "yzs-g1", "name": "燕子山第一网格"},
    "posted": 120,
    "held": 0,
    "available": 120,
    "lifetime_earned": 120,
    "lines": 1,
}


async def test_balance_for_everyone_allowed(client: Client) -> None:
    for headers in (ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER):
        response = await client.get("/api/passbooks/YZS1-0001", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == WANG

    # YZS3-0001: opening 40, a clean-up +10, the same clean-up again +10 and its reversal
    response = await client.get("/api/passbooks/YZS3-0001", headers=AUDITOR)
    assert response.status_code == 200
    assert response.json() == {
        "number": "YZS3-0001",
        "holder": "刘德明",
        "grid": {"code": "yzs-g3", "name": "燕子山第三网格"},
        "posted": 50,
        "held": 0,
        "available": 50,
        "lifetime_earned": 50,
        "lines": 4,
    }


async def test_balance_shows_held_points_apart(client: Client, demo_engine: AsyncEngine) -> None:
    async def hold_30(conn: AsyncConnection) -> None:
        passbook = await community.find_passbook(conn, "YZS1-0001")
        assert passbook is not None
        await ledger.place_hold(
            conn,
            account_id=passbook.account_id,
            amount=30,
            expires_at=datetime.now(UTC) + timedelta(days=7),
            idempotency_key=f"test:{new_key()}",
            actor="api-tests",
            memo="voucher: 抽纸",
        )

    await db.run_in_transaction(demo_engine, hold_30)
    await move_points(demo_engine, "YZS1-0001", 15, kind="service", memo="garbage-sorting duty")

    response = await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)
    assert response.status_code == 200
    body = response.json()
    assert (body["posted"], body["held"], body["available"]) == (135, 30, 105)
    assert body["lifetime_earned"] == 135
    assert body["lines"] == 2


async def test_a_volunteer_reads_only_their_own_passbook(client: Client) -> None:
    """Even a passbook that does not exist is 403, not 404: a volunteer learns nothing."""
    for number in ["YZS1-0002", "YZS2-0001", "NO-SUCH-BOOK"]:
        for suffix in ["", "/statement"]:
            response = await client.get(f"/api/passbooks/{number}{suffix}", headers=VOLUNTEER)
            body = assert_problem(response, 403, "forbidden")
            assert "own passbook" in body["detail"]


async def test_council_and_admin_are_held_to_their_grid(
    client: Client, demo_engine: AsyncEngine
) -> None:
    council_g2, _ = await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a", label="council g2")
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2", label="admin g2")
    community_auditor, _ = await make_token(
        demo_engine, Role.AUDITOR, "yanzishan", label="community auditor"
    )
    for suffix in ("", "/statement"):
        for headers, other in [
            (COUNCIL_G1, "YZS2-0001"),
            (bearer(council_g2), "YZS1-0001"),
            (bearer(admin_g2), "YZS1-0001"),
        ]:
            response = await client.get(f"/api/passbooks/{other}{suffix}", headers=headers)
            body = assert_problem(response, 403, "forbidden")
            assert "outside this token's scope" in body["detail"]

        for headers in (bearer(council_g2), bearer(admin_g2), bearer(community_auditor)):
            response = await client.get(f"/api/passbooks/YZS2-0001{suffix}", headers=headers)
            assert response.status_code == 200, response.text


async def test_a_merchant_reads_no_passbook(client: Client, demo_engine: AsyncEngine) -> None:
    merchant, _ = await make_token(demo_engine, Role.MERCHANT, "yuanyuan-carwash", label="car wash")
    for suffix in ("", "/statement"):
        response = await client.get(f"/api/passbooks/YZS1-0001{suffix}", headers=bearer(merchant))
        assert_problem(response, 403, "forbidden")


async def test_an_unknown_passbook_is_404(client: Client) -> None:
    for suffix in ("", "/statement"):
        response = await client.get(f"/api/passbooks/YZS9-9999{suffix}", headers=ADMIN)
        body = assert_problem(response, 404, "passbook_not_found")
        assert "YZS9-9999" in body["detail"]


async def test_statement_reads_like_a_passbook(client: Client) -> None:
    response = await client.get("/api/passbooks/YZS3-0001/statement", headers=COUNCIL_G1)
    assert_problem(response, 403)  # g1's council may not, g3's passbook

    response = await client.get("/api/passbooks/YZS3-0001/statement", headers=ADMIN)
    assert response.status_code == 200
    statement = response.json()
    assert statement["number"] == "YZS3-0001"
    assert statement["holder"] == "刘德明"
    assert statement["earlier"] is None
    assert statement["later"] is None
    lines = statement["lines"]

    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    assert [line["points"] for line in lines] == [40, 10, 10, -10]
    assert [line["balance"] for line in lines] == [40, 50, 60, 50]
    assert [line["kind"] for line in lines] == ["opening", "adjustment", "adjustment", "reversal"]
    assert [line["date"] for line in lines] == [
        "2026-09-02",
        "2026-10-12",
        "2026-10-12",
        "2026-10-13",
    ]
    recorded = [datetime.fromisoformat(line["recorded_at"]) for line in lines]
    assert recorded == sorted(recorded)
    assert [line["reverses_entry_id"] for line in lines] == [None, None, None, lines[2]["entry_id"]]
    assert len({line["entry_id"] for line in lines}) == 4
    assert "重复录入" in lines[2]["what_for"]
    running = 0
    for line in lines:
        running += line["points"]
        assert line["balance"] == running


async def test_the_volunteer_reads_their_own_statement(client: Client) -> None:
    response = await client.get("/api/passbooks/YZS1-0001/statement", headers=VOLUNTEER)
    assert response.status_code == 200
    [line] = response.json()["lines"]
    assert line["line"] == 1
    assert line["points"] == line["balance"] == 120
    assert line["kind"] == "opening"
    assert line["reverses_entry_id"] is None


@pytest.fixture
async def long_passbook(demo_engine: AsyncEngine) -> list[int]:
    """YZS1-0001 with 23 more lines (24 in all); returns each line's points, oldest first."""
    points = [120]
    for n in range(23):
        amount = -(n % 5) - 1 if n % 3 == 2 else n + 1
        await move_points(demo_engine, "YZS1-0001", amount, memo=f"line {n + 2}")
        points.append(amount)
    return points


async def _walk(client: Client, params: dict[str, Any], cursor: str) -> list[dict[str, Any]]:
    """Follow one cursor (``earlier`` or ``later``) from the given first page to the end."""
    pages = []
    while True:
        response = await client.get(
            "/api/passbooks/YZS1-0001/statement", params=params, headers=VOLUNTEER
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert 0 < len(page["lines"]) <= params["limit"]
        pages.append(page)
        if page[cursor] is None:
            return pages
        assert len(pages) < 50, "paging does not end"
        params = {
            "limit": params["limit"],
            "before" if cursor == "earlier" else "after": page[cursor],
        }


async def test_paging_walks_every_line_once(client: Client, long_passbook: list[int]) -> None:
    for limit in [1, 5, 7, 24, 500]:
        await _check_paging(client, long_passbook, limit)


async def _check_paging(client: Client, long_passbook: list[int], limit: int) -> None:
    total = len(long_passbook)
    expected = list(range(1, total + 1))

    backwards = await _walk(client, {"limit": limit}, "earlier")
    assert backwards[0]["lines"][-1]["line"] == total  # no cursor: the latest page
    assert backwards[0]["later"] is None
    assert backwards[-1]["lines"][0]["line"] == 1
    seen = [line["line"] for page in reversed(backwards) for line in page["lines"]]
    assert seen == expected

    forwards = await _walk(client, {"limit": limit, "after": 0}, "later")
    assert forwards[0]["earlier"] is None
    seen = [line["line"] for page in forwards for line in page["lines"]]
    assert seen == expected

    lines = [line for page in forwards for line in page["lines"]]
    assert [line["points"] for line in lines] == long_passbook
    running = 0
    for line in lines:
        running += line["points"]
        assert line["balance"] == running
    assert len(backwards) == len(forwards) == -(-total // limit)


async def test_cursors_are_exclusive_and_neighbouring(
    client: Client, long_passbook: list[int]
) -> None:
    url = "/api/passbooks/YZS1-0001/statement"
    page = (await client.get(url, params={"before": 10, "limit": 4}, headers=ADMIN)).json()
    assert [line["line"] for line in page["lines"]] == [6, 7, 8, 9]
    assert (page["earlier"], page["later"]) == (6, 9)

    page = (await client.get(url, params={"after": 10, "limit": 4}, headers=ADMIN)).json()
    assert [line["line"] for line in page["lines"]] == [11, 12, 13, 14]
    assert (page["earlier"], page["later"]) == (11, 14)

    page = (await client.get(url, params={"after": 22, "limit": 4}, headers=ADMIN)).json()
    assert [line["line"] for line in page["lines"]] == [23, 24]
    assert page["later"] is None

    page = (await client.get(url, params={"before": 1}, headers=ADMIN)).json()
    assert page["lines"] == []
    assert (page["earlier"], page["later"]) == (None, None)

    page = (await client.get(url, params={"after": 24}, headers=ADMIN)).json()
    assert page["lines"] == []

    default = (await client.get(url, headers=ADMIN)).json()
    assert [line["line"] for line in default["lines"]] == list(range(5, 25))  # 20 a page
    assert default["earlier"] == 5

    lines = await statement_lines(client, "YZS1-0001")
    balance = (await client.get("/api/passbooks/YZS1-0001", headers=ADMIN)).json()
    assert balance["lines"] == len(lines) == len(long_passbook)
    assert balance["posted"] == lines[-1]["balance"] == sum(long_passbook)
    assert balance["lifetime_earned"] == sum(p for p in long_passbook if p > 0)


BAD_PAGING = [
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=-1", "limit"),
    ("limit=ten", "limit"),
    ("before=0", "before"),
    ("after=-1", "after"),
    ("before=x", "before"),
    (f"before={2**63}", "before"),  # beyond BIGINT: refused, not a driver overflow (500)
    (f"after={2**63}", "after"),
]


async def test_paging_parameters_are_checked(client: Client) -> None:
    url = "/api/passbooks/YZS3-0001/statement"
    for query, field in BAD_PAGING:
        body = assert_problem(
            await client.get(f"{url}?{query}", headers=ADMIN), 422, "invalid_request"
        )
        assert [error["key"] for error in body["errors"]] == [field], query
        assert all(error["message"] for error in body["errors"])

    body = assert_problem(
        await client.get(f"{url}?before=5&after=1", headers=ADMIN), 422, "invalid_request"
    )
    assert "'before'" in body["detail"]
    assert "'after'" in body["detail"]

    response = await client.get(f"{url}?limit=500", headers=ADMIN)  # the largest page
    assert response.status_code == 200
    assert len(response.json()["lines"]) == 4
