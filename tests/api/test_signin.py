"""Volunteer sign-in by passbook number and PIN through the API: setting PINs, the same answer
for every kind of wrong, throttling, locking, resetting, and concurrent guessing.

Time is moved by rewriting the stored failure times (the domain takes ``now``; see
``tests/community/test_signin_policy.py`` for the policy with an injected clock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER, concurrent_client
from tests.api.helpers import assert_problem, bearer, make_token, scalar

Client = AsyncTestClient  # type: ignore[type-arg]

NUMBER = "YZS1-0001"
PIN = "2580"
WRONG = "3691"


async def set_pin(
    client: Client, pin: str = PIN, number: str = NUMBER, headers: Any = ADMIN
) -> Any:
    return await client.put(f"/api/volunteers/{number}/pin", json={"pin": pin}, headers=headers)


async def sign_in(client: Client | httpx.AsyncClient, pin: str, number: str = NUMBER) -> Any:
    return await client.post("/api/sign-in", json={"passbook_number": number, "pin": pin})


async def pin_state(engine: AsyncEngine, number: str = NUMBER) -> dict[str, Any]:
    async with db.read_transaction(engine) as conn:
        row = (
            await conn.execute(
                select(
                    community.volunteer.c.pin_hash,
                    community.volunteer.c.pin_failures,
                    community.volunteer.c.pin_last_failure_at,
                    community.volunteer.c.pin_locked_until,
                ).where(community.volunteer.c.passbook_number == number)
            )
        ).one()
    return dict(row._mapping)


async def rewind(engine: AsyncEngine, by: timedelta, number: str = NUMBER) -> None:
    """Move the passbook's failure times ``by`` into the past: as if that much time passed."""

    async def use_case(conn: AsyncConnection) -> None:
        state = (
            await conn.execute(
                select(
                    community.volunteer.c.pin_last_failure_at,
                    community.volunteer.c.pin_locked_until,
                ).where(community.volunteer.c.passbook_number == number)
            )
        ).one()
        await conn.execute(
            update(community.volunteer)
            .where(community.volunteer.c.passbook_number == number)
            .values(
                pin_last_failure_at=state[0] and state[0] - by,
                pin_locked_until=state[1] and state[1] - by,
            )
        )

    await db.run_in_transaction(engine, use_case)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


async def test_staff_set_a_pin_stored_only_as_a_salted_scrypt_hash(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    response = await set_pin(client, headers=bearer(grid_worker))
    assert response.status_code == 200, response.text
    assert response.json()["sign_in"] == {
        "pin_set": True,
        "wrong_pins_in_a_row": 0,
        "locked_until": None,
    }
    # the PIN is in no field of the answer (a substring test would trip over timestamps)
    assert PIN not in _leaves(response.json())
    assert "pin" not in _keys(response.json())
    assert (
        await set_pin(client, number="YZS1-0002", headers=bearer(grid_worker))
    ).status_code == 200
    first = (await pin_state(demo_engine))["pin_hash"]
    second = (await pin_state(demo_engine, "YZS1-0002"))["pin_hash"]
    assert first.startswith("scrypt$ln=14,r=8,p=1$")
    assert PIN not in first.split("$")
    assert first != second  # the same PIN, salted differently

    # only admins over the volunteer's grid set PINs
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    for headers in (COUNCIL_G1, VOLUNTEER, AUDITOR, bearer(admin_g2)):
        assert_problem(await set_pin(client, "7391", headers=headers), 403, "forbidden")
    assert_problem(await set_pin(client, "7391", number="NO-SUCH-1"), 404, "passbook_not_found")
    assert (await pin_state(demo_engine))["pin_hash"] == first


async def test_weak_or_malformed_pins_are_refused_with_the_reason(
    client: Client, demo_engine: AsyncEngine
) -> None:
    for pin, code, says in [
        ("1111", "weak_pin", "same digit"),
        ("000000", "weak_pin", "same digit"),
        ("1234", "weak_pin", "straight"),
        ("654321", "weak_pin", "straight"),
        ("3456", "weak_pin", "straight"),
        ("1212", "weak_pin", "repeated"),
        ("123123", "weak_pin", "repeated"),
        ("123", "invalid_pin", "4 to 6 digits"),
        ("1234567", "invalid_pin", "4 to 6 digits"),
        ("12a4", "invalid_pin", "4 to 6 digits"),
        ("１２３４", "invalid_pin", "4 to 6 digits"),  # full-width digits
    ]:
        problem = assert_problem(await set_pin(client, pin), 422, code)
        assert says in problem["detail"], (pin, problem)
        assert pin not in problem["detail"]
    response = await client.put(f"/api/volunteers/{NUMBER}/pin", json={"pin": 2580}, headers=ADMIN)
    assert_problem(response, 422, "invalid_request")
    assert "2580" not in response.text
    assert (await pin_state(demo_engine))["pin_hash"] is None
    for fine in ("2580", "0715", "97531", "135790"):
        assert (await set_pin(client, fine)).status_code == 200, fine


async def test_signing_in_gives_a_twelve_hour_volunteer_token(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    before = datetime.now(UTC)
    response = await sign_in(client, PIN, number=" yzs1-0001 ")  # as typed at a counter
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["token_type"], body["passbook_number"], body["holder"]) == (
        "bearer",
        NUMBER,
        "王秀兰",
    )
    assert body["expires_in"] == 12 * 3600
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(hours=12) <= expires_at <= datetime.now(UTC) + timedelta(hours=12)

    token = bearer(body["token"])
    me = (await client.get("/api/me", headers=token)).json()
    assert (me["role"], me["scope"]) == ("volunteer", NUMBER)
    assert (await client.get(f"/api/passbooks/{NUMBER}", headers=token)).status_code == 200
    assert_problem(await client.get("/api/passbooks/YZS1-0002", headers=token), 403)
    stored_expiry = await scalar(
        demo_engine,
        "SELECT count(*) FROM api_token WHERE scope = :n AND expires_at IS NOT NULL",
        n=NUMBER,
    )
    assert stored_expiry == 1
    # a stale Authorization header does not get in the way of signing in
    response = await client.post(
        "/api/sign-in",
        json={"passbook_number": NUMBER, "pin": PIN},
        headers=bearer("pb_not_a_real_token"),
    )
    assert response.status_code == 200


async def test_a_full_width_number_signs_in(client: Client) -> None:
    await set_pin(client)
    response = await sign_in(client, PIN, number="ｙｚｓ１－０００１")  # a Chinese input method's
    assert response.status_code == 200, response.text
    assert response.json()["passbook_number"] == NUMBER


async def test_every_kind_of_wrong_gets_the_same_answer(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    answers = [
        await sign_in(client, WRONG),  # wrong PIN
        await sign_in(client, PIN, number="YZS9-9999"),  # unknown number
        await sign_in(client, PIN, number="YZS1-0002"),  # no PIN set yet
    ]
    bodies = [assert_problem(r, 401, "sign_in_failed") for r in answers]
    assert len({(b["title"], b["detail"]) for b in bodies}) == 1
    assert "grid worker" in bodies[0]["detail"]
    assert {r.headers.get("retry-after") for r in answers} == {None}
    # the wrong PIN was counted and committed, although the answer was an error
    state = await pin_state(demo_engine)
    assert state["pin_failures"] == 1
    assert state["pin_last_failure_at"] is not None
    # a number with no PIN counts a wrong one like any other (its waits must not tell it apart)
    assert (await pin_state(demo_engine, "YZS1-0002"))["pin_failures"] == 1

    # malformed requests are refused without counting anything
    for body in (
        {"passbook_number": NUMBER, "pin": "12"},
        {"passbook_number": NUMBER, "pin": "abcd"},
        {"passbook_number": "YZS 1", "pin": PIN},
        {"passbook_number": NUMBER},
        {"passbook_number": NUMBER, "pin": PIN, "remember": True},
    ):
        response = await client.post("/api/sign-in", json=body)
        assert_problem(response, 422)
        # the PIN is in no field of the answer (a substring test would trip over timestamps)
    assert PIN not in _leaves(response.json())
    assert "pin" not in _keys(response.json())
    assert (await pin_state(demo_engine))["pin_failures"] == 1


async def test_wrong_pins_throttle_then_lock_until_the_pin_is_reset(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    for _ in range(3):
        assert_problem(await sign_in(client, WRONG), 401, "sign_in_failed")

    # the 4th try must wait 30 s; even the right PIN is not checked meanwhile
    for pin in (WRONG, PIN):
        response = await sign_in(client, pin)
        problem = assert_problem(response, 429, "sign_in_throttled")
        assert 25 <= int(response.headers["retry-after"]) <= 30
        assert "wait" in problem["detail"]
    assert (await pin_state(demo_engine))["pin_failures"] == 3

    await rewind(demo_engine, timedelta(seconds=30))
    assert_problem(await sign_in(client, WRONG), 401, "sign_in_failed")
    response = await sign_in(client, WRONG)
    assert_problem(response, 429, "sign_in_throttled")
    assert 55 <= int(response.headers["retry-after"]) <= 60

    # the 5th wrong PIN in a row locks sign-in for 15 minutes
    await rewind(demo_engine, timedelta(seconds=60))
    response = await sign_in(client, WRONG)
    problem = assert_problem(response, 423, "sign_in_locked")
    assert "grid worker" in problem["detail"]
    assert "Beijing time" in problem["detail"]
    locked_until = datetime.fromisoformat(problem["locked_until"])
    assert timedelta(minutes=14) < locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    assert 14 * 60 < int(response.headers["retry-after"]) <= 15 * 60
    assert_problem(await sign_in(client, PIN), 423, "sign_in_locked")
    state = await pin_state(demo_engine)
    assert state["pin_failures"] == 5
    admin_view = (await client.get(f"/api/volunteers/{NUMBER}", headers=ADMIN)).json()
    assert admin_view["sign_in"]["wrong_pins_in_a_row"] == 5
    assert admin_view["sign_in"]["locked_until"] is not None

    # when the lock ends, one more wrong PIN locks it again
    await rewind(demo_engine, timedelta(minutes=15))
    assert_problem(await sign_in(client, WRONG), 423, "sign_in_locked")
    assert (await pin_state(demo_engine))["pin_failures"] == 6

    # the grid worker resets the PIN: the lock and the count are gone at once
    assert (await set_pin(client, "8024")).status_code == 200
    state = await pin_state(demo_engine)
    assert (state["pin_failures"], state["pin_locked_until"]) == (0, None)
    assert_problem(await sign_in(client, PIN), 401, "sign_in_failed")  # the old PIN is gone
    assert (await sign_in(client, "8024")).status_code == 200
    assert (await pin_state(demo_engine))["pin_failures"] == 0  # success resets the count


async def test_the_right_pin_after_a_wait_resets_the_count(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    for _ in range(4):
        await sign_in(client, WRONG)
        await rewind(demo_engine, timedelta(minutes=1))
    assert (await pin_state(demo_engine))["pin_failures"] == 4
    assert (await sign_in(client, PIN)).status_code == 200
    state = await pin_state(demo_engine)
    assert (state["pin_failures"], state["pin_last_failure_at"]) == (0, None)
    for _ in range(2):
        assert_problem(await sign_in(client, WRONG), 401)  # a fresh count: no wait yet


async def test_a_moved_away_volunteer_is_told_only_with_the_right_pin(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    response = await client.put(
        f"/api/volunteers/{NUMBER}/status", json={"status": "moved_away"}, headers=ADMIN
    )
    assert response.status_code == 200
    assert_problem(await sign_in(client, WRONG), 401, "sign_in_failed")
    problem = assert_problem(await sign_in(client, PIN), 403, "volunteer_moved_away")
    assert "moved away" in problem["detail"]
    assert "grid worker" in problem["detail"]
    tokens = await scalar(demo_engine, "SELECT count(*) FROM api_token WHERE scope = :n", n=NUMBER)
    assert tokens == 1  # only the demo's own token; none was issued


async def test_twenty_concurrent_wrong_pins_check_only_what_the_policy_allows(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(sign_in(concurrent, WRONG) for _ in range(20)))
        statuses = sorted(r.status_code for r in responses)
        # three PINs are checked (and counted); every other attempt waits unchecked
        assert statuses == [401] * 3 + [429] * 17, [r.text for r in responses]
        assert (await pin_state(demo_engine))["pin_failures"] == 3

        # two back-offs later, the next burst checks exactly one PIN, which locks sign-in
        await rewind(demo_engine, timedelta(seconds=30))
        assert_problem(await sign_in(concurrent, WRONG), 401)
        await rewind(demo_engine, timedelta(seconds=60))
        responses = await asyncio.gather(*(sign_in(concurrent, WRONG) for _ in range(20)))
        assert {r.status_code for r in responses} == {423}, [r.text for r in responses]
        # and now not even the right PIN is checked
        assert_problem(await sign_in(concurrent, PIN), 423, "sign_in_locked")
    state = await pin_state(demo_engine)
    assert state["pin_failures"] == 5
    assert state["pin_locked_until"] is not None


async def test_twenty_concurrent_right_pins_each_get_a_token(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(sign_in(concurrent, PIN) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert len({r.json()["token"] for r in responses}) == 20
    assert (await pin_state(demo_engine))["pin_failures"] == 0


async def test_resetting_the_pin_signs_the_volunteer_out_everywhere(client: Client) -> None:
    await set_pin(client)
    sessions = [bearer((await sign_in(client, PIN)).json()["token"]) for _ in range(2)]
    for token in sessions:
        assert (await client.get("/api/me", headers=token)).status_code == 200
    await set_pin(client, "8306")
    for token in sessions:
        assert_problem(await client.get("/api/me", headers=token), 401)
    # the new PIN works; tokens staff made for the volunteer are not sign-ins and stay valid
    fresh = bearer((await sign_in(client, "8306")).json()["token"])
    assert (await client.get("/api/me", headers=fresh)).status_code == 200
    assert (await client.get("/api/me", headers=VOLUNTEER)).status_code == 200
