"""Ballots through the API: opening with a published commitment, applying (eligibility, holds,
one application per volunteer), the draw (once, reproduced here from the published seed by an
independent function written from docs/ballots.md), declines and lapses passing places on."""

from __future__ import annotations

import asyncio
import decimal
import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from access import Role
from tests.api.conftest import ADMIN, VOLUNTEER, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    make_token,
    move_points,
    new_key,
    verify,
    writing,
)
from tests.api.rewards_helpers import add_reward, scan, stock_used

Client = AsyncTestClient  # type: ignore[type-arg]
KINDERGARTEN = bearer("pb_demo_merchant_kindergarten")
# The tables these tests move the clock in, from the one metadata every package registers on.
ballot, voucher = db.metadata.tables["ballot"], db.metadata.tables["voucher"]
APPLICANTS = ["YZS1-0001", "YZS2-0001", "YZS4-0001", "YZS6-0001"]


# ----------------------------------------------------------- the draw, recomputed from scratch


def recompute(seed: str, rule: str, applicants: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The algorithm of docs/ballots.md, written out again: the drawn order of ``(pseudonym, points)``
    with each one's key and (weighted lottery) score."""
    rows = []
    ctx = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)
    for pseudonym, points in applicants:
        key = hashlib.sha256(f"{seed}:{pseudonym}".encode()).hexdigest()
        k = int(key, 16)
        if rule == "points_rank":
            rows.append(((Decimal(-points), k), pseudonym, key, None))
        else:
            u = ctx.divide(Decimal(k + 1), Decimal(2**256))
            score = ctx.divide(ctx.minus(ctx.ln(u)), Decimal(points))
            rows.append(((score, k), pseudonym, key, str(score)))
    rows.sort(key=lambda row: row[0])
    return [
        {"rank": rank, "pseudonym": p, "lottery_key": key, "score": score}
        for rank, (_, p, key, score) in enumerate(rows, start=1)
    ]


def assert_reproduced(page: dict[str, Any]) -> None:
    """The public page's order is the one anyone recomputes from its seed, and the seed is the
    one committed to when the ballot opened."""
    seed = page["seed"]
    assert len(seed) == 64
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == page["commitment"]
    drawn = [a for a in page["applicants"] if a["rank"] is not None]
    expected = recompute(seed, page["rule"], [(a["pseudonym"], a["points"]) for a in drawn])
    published = [
        {key: a[key] for key in ("rank", "pseudonym", "lottery_key", "score")} for a in drawn
    ]
    assert published == expected


# --------------------------------------------------------------------------------- helpers


async def place_reward(client: Client, code: str = "place", **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "place",
        "merchant": "kindergarten",
        "allocation": "ballot",
        "cost_points": 50,
        "stock_total": 2,
        "per_volunteer_limit": 1,
        "limit_period": "ever",
        "voucher_valid_days": 60,
        **fields,
    }
    return await add_reward(client, code, **body)


async def open_ballot(
    client: Client,
    code: str = "b1",
    *,
    reward: str = "place",
    rule: str = "points_rank",
    places: int = 2,
    claim_days: int = 7,
    opens_in: timedelta | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "code": code,
        "reward": reward,
        "rule": rule,
        "places": places,
        "closes_at": (now + timedelta(hours=2)).isoformat(),
        "claim_days": claim_days,
    }
    if opens_in is not None:
        body["opens_at"] = (now + opens_in).isoformat()
    response = await client.post("/api/ballots", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    return opened


async def apply(
    client: Any,
    code: str = "b1",
    number: str | None = None,
    *,
    headers: dict[str, str] = ADMIN,
    key: str | None = None,
) -> httpx.Response:
    body = {"passbook": number} if number else {}
    response: httpx.Response = await client.post(
        f"/api/ballots/{code}/applications", json=body, headers=writing(headers, key)
    )
    return response


async def applied(client: Client, code: str, number: str) -> dict[str, Any]:
    response = await apply(client, code, number)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def shift_ballot(engine: AsyncEngine, code: str, by: timedelta) -> None:
    """Move a ballot's window and draw deadline (as if the clock had moved on by ``-by``)."""

    async def use_case(conn: db.Connection) -> None:
        row = (await conn.execute(select(ballot).where(ballot.c.code == code))).one()
        await conn.execute(
            update(ballot)
            .where(ballot.c.code == code)
            .values(
                opens_at=row.opens_at + by, closes_at=row.closes_at + by, draw_by=row.draw_by + by
            )
        )

    await db.run_in_transaction(engine, use_case)


async def close_window(engine: AsyncEngine, code: str = "b1") -> None:
    await shift_ballot(engine, code, -timedelta(hours=3))


async def run_out_claim(engine: AsyncEngine, voucher_code: str) -> None:
    """The winner's claim period ran out a minute ago."""
    now = datetime.now(UTC)
    plain = voucher_code.replace("-", "")
    await db.run_in_transaction(
        engine,
        lambda conn: conn.execute(
            update(voucher)
            .where(voucher.c.code == plain)
            .values(issued_at=now - timedelta(days=8), expires_at=now - timedelta(minutes=1))
        ),
    )


async def public(client: Client, code: str = "b1") -> dict[str, Any]:
    response = await client.get(f"/api/public/ballots/{code}")  # no token
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def draw(client: Client, code: str = "b1") -> dict[str, Any]:
    response = await client.post(f"/api/ballots/{code}/draw", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def application(client: Client, code: str, number: str) -> dict[str, Any]:
    response = await client.get(f"/api/ballots/{code}/applications/{number}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def drawn_ballot(
    client: Client, engine: AsyncEngine, *, rule: str = "points_rank", places: int = 2
) -> dict[str, Any]:
    await place_reward(client)
    await open_ballot(client, rule=rule, places=places)
    for number in APPLICANTS:
        await applied(client, "b1", number)
    await close_window(engine)
    return await draw(client)


def by_status(page: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for a in page["applicants"]:
        found.setdefault(a["status"], []).append(a["pseudonym"])
    return found


async def holders(client: Client, code: str = "b1") -> dict[str, str]:
    """Whose each ticket is (pseudonym -> passbook number), from the staff's list of
    applications: the only place a ticket meets a number."""
    response = await client.get(f"/api/ballots/{code}/applications", headers=ADMIN)
    assert response.status_code == 200, response.text
    return {a["pseudonym"]: a["passbook"] for a in response.json()["applications"]}


# ----------------------------------------------------------------------------------- tests


async def test_a_full_ballot_from_opening_to_vouchers(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await place_reward(client, min_lifetime_points=90)
    opened = await open_ballot(client)
    assert opened["status"] == "open"
    assert opened["accepting_applications"] is True
    assert opened["seed"] is None
    assert len(opened["commitment"]) == 64
    before = await public(client)
    assert (before["seed"], before["result"], before["applicants"]) == (None, None, [])
    assert before["commitment"] == opened["commitment"]

    held_before = {n: (await balance(client, n))["held"] for n in [*APPLICANTS, "YZS1-0002"]}
    # the volunteer applies; replaying the key answers the same; another key is refused
    key = new_key()
    first = await apply(client, headers=VOLUNTEER, key=key)
    assert first.status_code == 201, first.text
    mine = first.json()
    assert mine["status"] == "applied"
    ticket = mine["pseudonym"]  # a random ticket (tests/api/test_ballot_pseudonyms.py)
    assert mine["points"] == (await balance(client, "YZS1-0001"))["lifetime_earned"]
    again = await apply(client, headers=VOLUNTEER, key=key)
    assert again.status_code == 201
    assert again.json()["replayed"] is True
    assert_problem(await apply(client, headers=VOLUNTEER), 409, "already_applied")
    assert_problem(await apply(client, number="YZS2-0001", headers=VOLUNTEER), 403)
    # an admin applies on behalf of three more, and is recorded as having done so
    for number in APPLICANTS[1:]:
        made = await applied(client, "b1", number)
        assert made["recorded_by"].startswith("admin:")
    # refusals say why and leave nothing behind
    low = assert_problem(await apply(client, number="YZS1-0002"), 409, "not_eligible")
    assert low["reason"] == "too_few_lifetime_points"
    assert "90 points earned" in low["detail"]
    assert_problem(await apply(client, number="YZS7-0001"), 409, "not_eligible")
    assert (await balance(client, "YZS1-0002"))["held"] == held_before["YZS1-0002"]
    for number in APPLICANTS:
        assert (await balance(client, number))["held"] == held_before[number] + 50
    # withdrawing gives the hold back; applying again holds afresh
    out = await client.post("/api/ballots/b1/applications/YZS6-0001/withdraw", headers=ADMIN)
    assert out.status_code == 200, out.text
    assert out.json()["status"] == "withdrawn"
    assert (await balance(client, "YZS6-0001"))["held"] == held_before["YZS6-0001"]
    assert (await applied(client, "b1", "YZS6-0001"))["status"] == "applied"
    listed = await public(client)
    owner = await holders(client)
    assert sorted(owner.values()) == sorted(APPLICANTS)
    assert owner[ticket] == "YZS1-0001"
    assert sorted(a["pseudonym"] for a in listed["applicants"]) == sorted(owner)
    assert "YZS" not in str(listed)  # pseudonyms only
    assert_problem(
        await client.post("/api/ballots/b1/draw", headers=ADMIN), 409, "ballot_still_open"
    )

    await close_window(demo_engine)
    assert_problem(await apply(client, number="YZS3-0001"), 409, "ballot_closed")
    assert_problem(
        await client.post("/api/ballots/b1/applications/YZS2-0001/withdraw", headers=ADMIN),
        409,
        "ballot_closed",
    )
    page = await draw(client)
    assert page["status"] == "drawn"
    assert_reproduced(page)
    winners = [a["pseudonym"] for a in page["applicants"][:2]]
    assert page["result"] == {
        "winners": winners,
        "waiting": [a["pseudonym"] for a in page["applicants"][2:]],
        "passes": [],
    }
    # points_rank: the most points first
    points = [a["points"] for a in page["applicants"]]
    assert points == sorted(points, reverse=True)
    for a in page["applicants"]:
        number = owner[a["pseudonym"]]
        mine = await application(client, "b1", number)
        if a["pseudonym"] in winners:
            assert mine["status"] == "offered"
            assert mine["voucher"]["status"] == "issued"
            assert mine["voucher"]["merchant"]["code"] == "kindergarten"
            assert mine["voucher"]["redemption_id"] is None
            assert (await balance(client, number))["held"] == held_before[number] + 50
        else:
            assert mine["status"] == "waiting"
            assert mine["voucher"] is None
            assert (await balance(client, number))["held"] == held_before[number]
    assert await stock_used(demo_engine, "place") == 2
    assert (await client.get("/api/ballots/b1", headers=VOLUNTEER)).json()["seed"] == page["seed"]
    assert_problem(
        await client.post("/api/ballots/b1/draw", headers=ADMIN), 409, "ballot_already_drawn"
    )
    assert await public(client) == page
    assert (await verify(client))["ok"] is True


async def test_the_window_is_kept(client: Client, demo_engine: AsyncEngine) -> None:
    await place_reward(client)
    await open_ballot(client, opens_in=timedelta(hours=1))
    early = assert_problem(await apply(client, headers=VOLUNTEER), 409, "ballot_not_open_yet")
    assert "opens_at" in early
    await shift_ballot(demo_engine, "b1", -timedelta(hours=1, minutes=1))
    assert (await apply(client, headers=VOLUNTEER)).status_code == 201
    short = assert_problem(await apply(client, number="YZS7-0001"), 409, "insufficient_points")
    assert short["short"] == 20  # 30 available, the place costs 50
    await shift_ballot(demo_engine, "b1", -timedelta(hours=2))
    assert_problem(await apply(client, number="YZS2-0001"), 409, "ballot_closed")
    # past the draw deadline the draw is refused and the sweep cancels the ballot
    await shift_ballot(demo_engine, "b1", -timedelta(days=15))
    assert_problem(
        await client.post("/api/ballots/b1/draw", headers=ADMIN), 409, "ballot_past_draw_deadline"
    )
    held = (await balance(client, "YZS1-0001"))["held"]
    swept = await client.post("/api/ballots/b1/process", headers=ADMIN)
    assert swept.status_code == 200, swept.text
    assert swept.json()["status"] == "cancelled"
    assert (await balance(client, "YZS1-0001"))["held"] == held - 50
    assert (await verify(client))["ok"] is True


async def test_a_weighted_lottery_is_reproduced_from_its_seed(
    client: Client, demo_engine: AsyncEngine
) -> None:
    page = await drawn_ballot(client, demo_engine, rule="weighted_lottery")
    assert page["rule"] == "weighted_lottery"
    assert all(Decimal(a["score"]) > 0 for a in page["applicants"])
    assert_reproduced(page)
    assert len(page["result"]["winners"]) == 2
    assert (await verify(client))["ok"] is True


async def test_concurrent_draws_give_one_draw(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await place_reward(client)
    await open_ballot(client)
    for number in APPLICANTS:
        await applied(client, "b1", number)
    await close_window(demo_engine)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(concurrent.post("/api/ballots/b1/draw", headers=ADMIN) for _ in range(10))
        )
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"ballot_already_drawn"}
    (won,) = [r.json() for r in responses if r.status_code == 200]
    assert await public(client) == won
    assert await stock_used(demo_engine, "place") == 2
    assert (await verify(client))["ok"] is True


async def test_concurrent_applications_by_one_volunteer_give_one(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await place_reward(client)
    await open_ballot(client)
    held = (await balance(client, "YZS1-0001"))["held"]
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(apply(concurrent, headers=VOLUNTEER) for _ in range(20)))
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_applied"}
    assert (await balance(client, "YZS1-0001"))["held"] == held + 50
    assert len((await public(client))["applicants"]) == 1
    assert (await verify(client))["ok"] is True


async def test_a_declined_place_goes_to_the_next_who_can_take_it(
    client: Client, demo_engine: AsyncEngine
) -> None:
    page = await drawn_ballot(client, demo_engine)
    first, second = page["result"]["winners"]
    third, fourth = page["result"]["waiting"]
    owner = await holders(client)
    declining = owner[first]
    held = (await balance(client, declining))["held"]
    # the next in line has spent their points meanwhile: skipped, and the one after gets it
    skipped = owner[third]
    available = (await balance(client, skipped))["available"]
    await move_points(demo_engine, skipped, -(available - 10))
    response = await client.post(f"/api/ballots/b1/applications/{declining}/decline", headers=ADMIN)
    assert response.status_code == 200, response.text
    declined = response.json()
    assert declined["status"] == "declined"
    assert declined["voucher"]["status"] == "cancelled"
    assert (await balance(client, declining))["held"] == held - 50
    again = await client.post(f"/api/ballots/b1/applications/{declining}/decline", headers=ADMIN)
    assert again.json()["status"] == "declined"

    after = await public(client)
    assert after["result"]["winners"] == [second, fourth]
    assert after["result"]["waiting"] == []
    assert [(p["pseudonym"], p["outcome"], p["reason"]) for p in after["result"]["passes"]] == [
        (first, "declined", "declined"),
        (third, "skipped", "not_enough_points"),
    ]
    taker = await application(client, "b1", owner[fourth])
    assert taker["status"] == "offered"
    assert taker["voucher"]["status"] == "issued"
    assert await stock_used(demo_engine, "place") == 2
    # someone who holds no place cannot decline
    assert_problem(
        await client.post(f"/api/ballots/b1/applications/{skipped}/decline", headers=ADMIN),
        409,
        "no_place_offered",
    )
    assert (await verify(client))["ok"] is True


async def test_a_place_not_claimed_in_time_goes_to_the_next(
    client: Client, demo_engine: AsyncEngine
) -> None:
    page = await drawn_ballot(client, demo_engine)
    first, second = page["result"]["winners"]
    third = page["result"]["waiting"][0]
    owner = await holders(client)
    late = await application(client, "b1", owner[first])
    on_time = await application(client, "b1", owner[second])
    # the second winner claims the place at the kindergarten
    used = await scan(client, "consume", on_time["voucher"]["code"], KINDERGARTEN)
    assert used.status_code == 200, used.text
    await run_out_claim(demo_engine, late["voucher"]["code"])
    seen = await scan(client, "verify", late["voucher"]["code"], KINDERGARTEN)
    assert seen.json()["verdict"] == "expired"  # before any sweep
    held = (await balance(client, owner[first]))["held"]

    response = await client.post("/api/ballots/b1/process", headers=ADMIN)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["result"]["winners"] == [second, third]
    assert after["result"]["passes"][0]["pseudonym"] == first
    assert after["result"]["passes"][0]["outcome"] == "lapsed"
    statuses = {a["pseudonym"]: a["status"] for a in after["applicants"]}
    assert (statuses[first], statuses[second], statuses[third]) == ("lapsed", "claimed", "offered")
    assert (await balance(client, owner[first]))["held"] == held - 50
    assert await stock_used(demo_engine, "place") == 2
    assert (await verify(client))["ok"] is True


async def test_opening_is_refused_with_reasons(client: Client, demo_engine: AsyncEngine) -> None:
    await place_reward(client)
    await add_reward(client, "soap")
    now = datetime.now(UTC)
    base = {
        "code": "b1",
        "reward": "place",
        "rule": "points_rank",
        "places": 2,
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "claim_days": 7,
    }
    cases = [
        ({"reward": "soap"}, 422, "invalid_ballot"),
        ({"places": 3}, 422, "invalid_ballot"),
        ({"claim_days": 61}, 422, "invalid_ballot"),
        ({"closes_at": (now - timedelta(hours=1)).isoformat()}, 422, "invalid_ballot"),
        ({"rule": "first_come"}, 422, None),
        ({"reward": "no-such"}, 404, "reward_not_found"),
    ]
    for change, status, code in cases:
        response = await client.post("/api/ballots", json={**base, **change}, headers=ADMIN)
        assert_problem(response, status, code)
    assert_problem(await client.post("/api/ballots", json=base, headers=VOLUNTEER), 403)
    grid_admin, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2", label="grid 2 worker")
    assert_problem(await client.post("/api/ballots", json=base, headers=bearer(grid_admin)), 403)
    assert (await client.post("/api/ballots", json=base, headers=ADMIN)).status_code == 201
    assert (await client.post("/api/ballots", json=base, headers=ADMIN)).status_code == 200
    other = {**base, "code": "b2", "places": 1}
    assert_problem(
        await client.post("/api/ballots", json=other, headers=ADMIN), 409, "another_ballot_open"
    )
    assert_problem(
        await client.post("/api/ballots", json={**base, "places": 1}, headers=ADMIN),
        409,
        "ballot_exists",
    )
    assert_problem(await client.get("/api/public/ballots/nope"), 404, "ballot_not_found")


async def test_cancelling_before_the_draw_releases_every_hold(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await place_reward(client)
    await open_ballot(client)
    held = {n: (await balance(client, n))["held"] for n in APPLICANTS}
    for number in APPLICANTS:
        await applied(client, "b1", number)
    response = await client.post(
        "/api/ballots/b1/cancel", json={"reason": "the kindergarten closed"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    for number in APPLICANTS:
        assert (await balance(client, number))["held"] == held[number]
    assert {a["status"] for a in (await public(client))["applicants"]} == {"cancelled"}
    assert_problem(
        await client.post("/api/ballots/b1/draw", headers=ADMIN), 409, "ballot_cancelled"
    )
    assert_problem(await apply(client, headers=VOLUNTEER), 409, "ballot_cancelled")
    # the reward is free for a new ballot
    await open_ballot(client, "b2")
    assert (await verify(client))["ok"] is True


async def test_the_demo_ballot_is_drawn_and_verifiable(client: Client) -> None:
    page = await public(client, "kindergarten-2027-spring")
    assert page["status"] == "drawn"
    assert_reproduced(page)
    assert len(page["result"]["winners"]) == 2
    assert page["result"]["waiting"] == [page["applicants"][2]["pseudonym"]]
    listed = await client.get("/api/ballots", headers=VOLUNTEER)
    assert [b["code"] for b in listed.json()] == ["kindergarten-2027-spring"]


async def test_cancelling_a_place_voucher_passes_the_place_on_at_once(
    client: Client, demo_engine: AsyncEngine
) -> None:
    page = await drawn_ballot(client, demo_engine)
    first, second = page["result"]["winners"]
    third, fourth = page["result"]["waiting"]
    owner = await holders(client)
    winner = await application(client, "b1", owner[first])
    response = await client.post(f"/api/vouchers/{winner['voucher']['id']}/cancel", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    after = await public(client)
    assert after["result"]["winners"] == [second, third]
    assert after["result"]["waiting"] == [fourth]
    assert (await application(client, "b1", owner[first]))["status"] == "declined"
    assert await stock_used(demo_engine, "place") == 2
    assert (await verify(client))["ok"] is True
