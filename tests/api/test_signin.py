"""Volunteer sign-in by passbook number and PIN through the API: setting PINs, the same answer
for every kind of wrong, waits that never lock, known devices, the unlock, resetting, and
concurrent guessing.

Time is moved by rewriting the stored failure times (the domain takes ``now``; see
``tests/community/test_signin_policy.py`` for the policy with an injected clock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
from access import Role
from cli.main import main
from community import _signin as community_signin
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
    """Move every failure time ``by`` into the past (the passbook's and the throttle
    table's): as if that much time passed."""

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
        table = db.throttles.throttle
        for row in (await conn.execute(select(table))).all():
            await conn.execute(
                update(table)
                .where(table.c.scope == row.scope, table.c.key == row.key)
                .values(
                    first_at=row.first_at - by,
                    last_at=row.last_at - by,
                    blocked_until=row.blocked_until and row.blocked_until - by,
                )
            )

    await db.run_in_transaction(engine, use_case)
    community.forget_known_address_waits()  # the service's memory of the waits moved back too


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
    # every number is counted alike, with a PIN or without, known or not
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


async def test_wrong_pins_make_each_try_wait_longer_but_never_lock(
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
        assert "signed in from before" in problem["detail"]
    assert (await pin_state(demo_engine))["pin_failures"] == 3

    await rewind(demo_engine, timedelta(seconds=30))
    assert_problem(await sign_in(client, WRONG), 401, "sign_in_failed")
    response = await sign_in(client, WRONG)
    assert_problem(response, 429, "sign_in_throttled")
    assert 55 <= int(response.headers["retry-after"]) <= 60

    # no lock, ever: the 5th wrong PIN is answered like the others and waits 2 minutes
    await rewind(demo_engine, timedelta(seconds=60))
    assert_problem(await sign_in(client, WRONG), 401, "sign_in_failed")
    state = await pin_state(demo_engine)
    assert state["pin_failures"] == 5
    admin_view = (await client.get(f"/api/volunteers/{NUMBER}", headers=ADMIN)).json()
    assert admin_view["sign_in"]["wrong_pins_in_a_row"] == 5
    waits_until = datetime.fromisoformat(admin_view["sign_in"]["locked_until"])
    assert timedelta(minutes=1) < waits_until - datetime.now(UTC) <= timedelta(minutes=2)

    # the grid worker clears the wait without changing the PIN: the owner signs in at once
    cleared = await client.post(f"/api/volunteers/{NUMBER}/sign-in-wait/clear", headers=ADMIN)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["sign_in"]["wrong_pins_in_a_row"] == 0
    assert_problem(
        await client.post(f"/api/volunteers/{NUMBER}/sign-in-wait/clear", headers=COUNCIL_G1),
        403,
    )
    assert (await sign_in(client, PIN)).status_code == 200

    # a PIN reset clears the count too, and the old PIN is gone
    for _ in range(4):
        await sign_in(client, WRONG)
    assert (await set_pin(client, "8024")).status_code == 200
    state = await pin_state(demo_engine)
    assert (state["pin_failures"], state["pin_locked_until"]) == (0, None)
    assert_problem(await sign_in(client, PIN), 401, "sign_in_failed")  # the old PIN is gone
    assert (await sign_in(client, "8024")).status_code == 200
    assert (await pin_state(demo_engine))["pin_failures"] == 0  # success resets the count


async def test_the_owner_signs_in_from_a_known_device_while_an_attacker_guesses(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    """Regression (finding 2): wrong PINs from another address do not keep the owner out."""
    await set_pin(client)
    device = (await sign_in(client, PIN)).json().get("device")  # none before issue 13
    async with concurrent_client(database_url) as attacker:  # another client address
        for _ in range(8):
            await sign_in(attacker, WRONG)
    assert_problem(await sign_in(client, PIN), 429, "sign_in_throttled")
    response = await client.post(
        "/api/sign-in", json={"passbook_number": NUMBER, "pin": PIN, "device": device}
    )
    assert response.status_code == 200, response.text
    assert response.json()["device"] == device


async def test_unknown_numbers_are_throttled_and_answered_like_known_ones(
    client: Client,
) -> None:
    """Regression (finding 1): an unknown number is counted and made to wait exactly like a
    wrong PIN for a known one, so the answers tell nothing about which numbers exist."""
    await set_pin(client)
    answers = {}
    for number in (NUMBER, "YZS9-9999"):
        answers[number] = [
            (r.status_code, r.json()["detail"], r.headers.get("retry-after") is not None)
            for r in [await sign_in(client, WRONG, number=number) for _ in range(5)]
        ]
    assert answers[NUMBER] == answers["YZS9-9999"]
    assert [status for status, _, _ in answers["YZS9-9999"]] == [401] * 3 + [429] * 2


async def test_the_pin_is_hashed_with_no_connection_checked_out(
    client: Client, demo_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (finding 1): the scrypt work runs outside any transaction, so a flood of
    sign-ins holds neither pooled connections nor SQLite's write lock while it hashes."""
    await set_pin(client)
    engine: AsyncEngine = client.app.state.engine
    checked_out: list[int] = []
    real = community_signin.pin_matches

    def watching(pin: str, stored: str) -> bool:
        checked_out.append(engine.pool.checkedout())  # type: ignore[attr-defined]
        return real(pin, stored)

    monkeypatch.setattr(community_signin, "pin_matches", watching)
    for pin, number in ((PIN, NUMBER), (WRONG, NUMBER), (PIN, "YZS9-9999"), (PIN, "YZS1-0002")):
        await sign_in(client, pin, number=number)
    assert checked_out == [0, 0, 0, 0]


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


def unchecked_except(responses: list[Any], checked: int) -> bool:
    """Exactly ``checked`` answers are a checked wrong PIN (401); every other one was not
    checked: a wait (429) or no free sign-in place (503), each with Retry-After."""
    statuses = [r.status_code for r in responses]
    others = [r for r in responses if r.status_code != 401]
    return statuses.count(401) == checked and all(
        r.status_code in (429, 503) and r.headers.get("retry-after") for r in others
    )


async def test_twenty_concurrent_wrong_pins_check_only_what_the_policy_allows(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(sign_in(concurrent, WRONG) for _ in range(20)))
        # three PINs are checked (and counted); every other attempt is told to wait (429),
        # or, if no sign-in place freed up in time, to come back (503): unchecked either way
        assert unchecked_except(responses, 3), [r.text for r in responses]
        assert (await pin_state(demo_engine))["pin_failures"] == 3

        # two back-offs later, the next burst checks exactly one PIN
        await rewind(demo_engine, timedelta(seconds=30))
        assert_problem(await sign_in(concurrent, WRONG), 401)
        await rewind(demo_engine, timedelta(seconds=60))
        responses = await asyncio.gather(*(sign_in(concurrent, WRONG) for _ in range(20)))
        assert unchecked_except(responses, 1), [r.text for r in responses]
        # and now not even the right PIN is checked
        assert_problem(await sign_in(concurrent, PIN), 429, "sign_in_throttled")
    state = await pin_state(demo_engine)
    assert state["pin_failures"] == 5
    assert state["pin_locked_until"] is not None


async def test_twenty_concurrent_right_pins_never_fail_and_leave_no_count(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    """Every attempt is counted before its PIN is checked (that is what bounds guessing), so
    of twenty at once for one number some may be told to wait; none is refused as wrong, each
    token is distinct, and once they are done nothing is left counted."""
    await set_pin(client)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(sign_in(concurrent, PIN) for _ in range(20)))
        assert {r.status_code for r in responses} <= {200, 429, 503}, [r.text for r in responses]
        assert all(r.headers.get("retry-after") for r in responses if r.status_code != 200)
        signed_in = [r.json()["token"] for r in responses if r.status_code == 200]
        assert len(signed_in) >= community.THROTTLE_AFTER_FAILURES
        assert len(set(signed_in)) == len(signed_in)
        assert (await pin_state(demo_engine))["pin_failures"] == 0
        assert (await sign_in(concurrent, PIN)).status_code == 200


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


async def test_the_grid_workers_unlock_at_the_command_line(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    await set_pin(client)
    for _ in range(4):
        await sign_in(client, WRONG)
    assert_problem(await sign_in(client, PIN), 429, "sign_in_throttled")
    run = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["volunteer", "clear-wait", "--database-url", database_url, NUMBER],
    )
    assert run.exit_code == 0, run.output
    assert "wait cleared" in run.output
    assert (await pin_state(demo_engine))["pin_failures"] == 0
    assert (await sign_in(client, PIN)).status_code == 200
    unknown = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["volunteer", "clear-wait", "--database-url", database_url, "NO-1"],
    )
    assert unknown.exit_code == 1
    assert "passbook_not_found" in unknown.output
