"""Journal entries: reading one within the caller's scope, and correcting one by a reversal."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    entry_count,
    make_token,
    move_points,
    new_key,
    statement_lines,
    verify,
    writing,
)

Client = AsyncTestClient  # type: ignore[type-arg]


async def opening_of(client: Client, number: str) -> int:
    entry_id: int = (await statement_lines(client, number))[0]["entry_id"]
    return entry_id


async def cleanup_entries(client: Client) -> tuple[int, int, int]:
    """YZS3-0001's corridor clean-up, its duplicate, and the duplicate's reversal."""
    lines = await statement_lines(client, "YZS3-0001")
    return lines[1]["entry_id"], lines[2]["entry_id"], lines[3]["entry_id"]


def reverse(client: Client, entry_id: int, headers: dict[str, str], **kwargs: Any) -> Any:
    kwargs.setdefault("json", {"reason": "entered by mistake"})
    return client.post(f"/api/entries/{entry_id}/reversal", headers=headers, **kwargs)


# --- reading ------------------------------------------------------------------------------------


async def test_a_volunteer_sees_only_their_own_posting(client: Client) -> None:
    entry_id = await opening_of(client, "YZS1-0001")
    response = await client.get(f"/api/entries/{entry_id}", headers=VOLUNTEER)
    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["id"] == entry_id
    assert entry["kind"] == "opening"
    assert entry["date"] == "2026-09-01"
    assert entry["reverses_entry_id"] is None
    assert entry["replayed"] is False
    assert entry["postings"] == [
        {
            "account_id": entry["postings"][0]["account_id"],
            "account_kind": "passbook",
            "points": 120,
            "balance_after": 120,
        }
    ]
    assert entry["hidden_postings"] == 1


async def test_org_roles_see_every_posting_in_their_scope(client: Client) -> None:
    entry_id = await opening_of(client, "YZS1-0001")
    for headers in (ADMIN, AUDITOR, COUNCIL_G1):
        response = await client.get(f"/api/entries/{entry_id}", headers=headers)
        assert response.status_code == 200, response.text
        entry = response.json()
        assert entry["hidden_postings"] == 0
        assert sorted((p["account_kind"], p["points"]) for p in entry["postings"]) == [
            ("issuance", -120),
            ("passbook", 120),
        ]
        assert sum(p["points"] for p in entry["postings"]) == 0


async def test_an_entry_outside_the_scope_is_403(client: Client, demo_engine: AsyncEngine) -> None:
    g1_opening = await opening_of(client, "YZS1-0001")
    g2_opening = await opening_of(client, "YZS2-0001")
    council_g2, _ = await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a", label="council g2")
    merchant, _ = await make_token(demo_engine, Role.MERCHANT, "corner-shop", label="shop")

    for headers, entry_id in [
        (bearer(council_g2), g1_opening),
        (COUNCIL_G1, g2_opening),
        (VOLUNTEER, g2_opening),
        (VOLUNTEER, await opening_of(client, "YZS1-0002")),  # same grid, other passbook
        (bearer(merchant), g1_opening),
    ]:
        response = await client.get(f"/api/entries/{entry_id}", headers=headers)
        body = assert_problem(response, 403, "forbidden")
        assert str(entry_id) in body["detail"]

    response = await client.get(f"/api/entries/{g2_opening}", headers=bearer(council_g2))
    assert response.status_code == 200


async def test_an_unknown_entry_is_404(client: Client) -> None:
    for entry_id in (999999, 0, -1, 2**63 - 1):
        response = await client.get(f"/api/entries/{entry_id}", headers=ADMIN)
        body = assert_problem(response, 404, "entry_not_found")
        assert str(entry_id) in body["detail"]
        assert_problem(await reverse(client, entry_id, writing(ADMIN)), 404, "entry_not_found")


async def test_an_entry_id_beyond_the_database_is_422_not_500(client: Client) -> None:
    for entry_id in (2**63, 10**30, -(10**30)):
        response = await client.get(f"/api/entries/{entry_id}", headers=ADMIN)
        body = assert_problem(response, 422, "invalid_request")
        assert [error["key"] for error in body["errors"]] == ["entry_id"]
        response = await reverse(client, entry_id, writing(ADMIN))
        assert_problem(response, 422, "invalid_request")


# --- reversing ----------------------------------------------------------------------------------


async def test_an_admin_reverses_an_entry(client: Client) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    entries = await entry_count(client)

    response = await reverse(client, cleanup, writing(ADMIN), json={"reason": "not done after all"})
    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["kind"] == "reversal"
    assert reversal["reverses_entry_id"] == cleanup
    assert reversal["memo"] == "not done after all"
    assert reversal["actor"].startswith("admin:")
    assert reversal["replayed"] is False
    assert reversal["hidden_postings"] == 0
    assert sorted((p["account_kind"], p["points"]) for p in reversal["postings"]) == [
        ("issuance", 10),
        ("passbook", -10),
    ]
    [passbook_posting] = [p for p in reversal["postings"] if p["account_kind"] == "passbook"]
    assert passbook_posting["balance_after"] == 40

    assert await entry_count(client) == entries + 1
    figures = await balance(client, "YZS3-0001")
    assert (figures["posted"], figures["available"], figures["lines"]) == (40, 40, 5)
    assert figures["lifetime_earned"] == 40  # reversing a credit takes it back

    last = (await statement_lines(client, "YZS3-0001"))[-1]
    assert last["entry_id"] == reversal["id"]
    assert last["reverses_entry_id"] == cleanup
    assert (last["kind"], last["points"], last["balance"]) == ("reversal", -10, 40)
    assert last["what_for"] == "not done after all"

    read = await client.get(f"/api/entries/{reversal['id']}", headers=AUDITOR)
    assert read.status_code == 200
    assert {**read.json(), "replayed": False} == reversal
    assert (await verify(client))["ok"] is True


async def test_a_retry_with_the_same_key_replays_the_reversal(client: Client) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    headers = writing(ADMIN)
    first = await reverse(client, cleanup, headers)
    assert first.status_code == 201
    entries = await entry_count(client)
    figures = await balance(client, "YZS3-0001")

    for _ in range(2):
        again = await reverse(client, cleanup, headers)
        assert again.status_code == 201, again.text
        assert again.json() == {**first.json(), "replayed": True}

    assert await entry_count(client) == entries
    assert await balance(client, "YZS3-0001") == figures


async def test_the_same_key_for_a_different_request_is_409(client: Client) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    opening = await opening_of(client, "YZS1-0001")
    headers = writing(ADMIN)
    assert (await reverse(client, cleanup, headers)).status_code == 201
    entries = await entry_count(client)

    other_reason = await reverse(client, cleanup, headers, json={"reason": "another reason"})
    assert_problem(other_reason, 409, "idempotency_conflict")
    other_entry = await reverse(client, opening, headers)
    assert_problem(other_entry, 409, "idempotency_conflict")

    assert await entry_count(client) == entries
    assert (await balance(client, "YZS1-0001"))["posted"] == 120


async def test_keys_of_different_callers_never_collide(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """The same client key from an admin of another scope is a different request."""
    g1_opening = await opening_of(client, "YZS1-0001")
    g2_opening = await opening_of(client, "YZS2-0001")
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2", label="admin g2")
    key = new_key()

    assert (await reverse(client, g1_opening, writing(ADMIN, key))).status_code == 201
    second = await reverse(client, g2_opening, writing(bearer(admin_g2), key))
    assert second.status_code == 201, second.text
    assert second.json()["reverses_entry_id"] == g2_opening
    assert second.json()["replayed"] is False


BAD_KEYS = {"missing": None, "empty": "", "blank": "   ", "too-long": "k" * 101}


async def test_a_reversal_needs_an_idempotency_key(client: Client) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    entries = await entry_count(client)
    for case, key in BAD_KEYS.items():
        headers = dict(ADMIN) if key is None else {**ADMIN, "Idempotency-Key": key}
        body = assert_problem(await reverse(client, cleanup, headers), 422, "invalid_request")
        assert "Idempotency-Key" in body["detail"], case
    assert await entry_count(client) == entries

    longest = await reverse(client, cleanup, writing(ADMIN, "k" * 100))
    assert longest.status_code == 201, longest.text


BAD_BODIES: list[tuple[Any, str | None]] = [
    ({"reason": "typo", "points": 5}, "points"),  # unknown fields are refused
    ({"reason": "typo", "effective_date": "2026-01-01"}, "effective_date"),
    ({}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": "x" * 501}, "reason"),
    ({"reason": 5}, "reason"),
    ([], None),
    (["reason"], None),
    ("reason", None),
]


async def test_a_bad_reversal_body_is_refused(client: Client) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    entries = await entry_count(client)
    for body, field in BAD_BODIES:
        response = await reverse(client, cleanup, writing(ADMIN), json=body)
        problem = assert_problem(response, 422, "invalid_request")
        assert problem["errors"], body
        if field is not None:
            assert field in {error.get("key") for error in problem["errors"]}, problem

    not_json = await reverse(
        client,
        cleanup,
        {**writing(ADMIN), "Content-Type": "application/json"},
        json=None,
        content=b"{reason: oops",
    )
    assert_problem(not_json, 400, "bad_request")
    assert await entry_count(client) == entries


async def test_an_entry_is_reversed_only_once(client: Client) -> None:
    cleanup, duplicate, _ = await cleanup_entries(client)
    first = await reverse(client, cleanup, writing(ADMIN))
    assert first.status_code == 201
    entries = await entry_count(client)

    body = assert_problem(
        await reverse(client, cleanup, writing(ADMIN)), 409, "entry_already_reversed"
    )
    assert f"entry {first.json()['id']}" in body["detail"]
    # the demo's duplicate was reversed when the demo was loaded
    assert_problem(await reverse(client, duplicate, writing(ADMIN)), 409, "entry_already_reversed")
    assert await entry_count(client) == entries


async def test_a_reversal_is_never_itself_reversed(client: Client) -> None:
    _, duplicate, correction = await cleanup_entries(client)
    entries = await entry_count(client)
    body = assert_problem(
        await reverse(client, correction, writing(ADMIN)), 409, "reversal_not_allowed"
    )
    assert str(duplicate) in body["detail"]
    assert await entry_count(client) == entries


async def test_a_reversal_may_not_overdraw_a_passbook(
    client: Client, demo_engine: AsyncEngine
) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    await move_points(demo_engine, "YZS3-0001", -45, kind="redemption", memo="水饺 dumplings")
    entries = await entry_count(client)
    figures = await balance(client, "YZS3-0001")
    assert figures["available"] == 5

    response = await reverse(client, cleanup, writing(ADMIN))
    problem = assert_problem(response, 409, "insufficient_points")
    assert (problem["available"], problem["needed"], problem["short"]) == (5, 10, 5)
    assert "Nothing was changed" in problem["detail"]

    assert await entry_count(client) == entries
    assert await balance(client, "YZS3-0001") == figures
    assert (await verify(client))["ok"] is True


async def test_only_an_admin_reverses(client: Client, demo_engine: AsyncEngine) -> None:
    opening = await opening_of(client, "YZS1-0001")
    entries = await entry_count(client)
    others = [COUNCIL_G1, AUDITOR, VOLUNTEER]
    merchant, _ = await make_token(demo_engine, Role.MERCHANT, "corner-shop", label="shop")
    for headers in [*others, bearer(merchant)]:
        response = await reverse(client, opening, writing(headers))
        body = assert_problem(response, 403, "forbidden")
        assert "needs one of: admin" in body["detail"]
    assert await entry_count(client) == entries


async def test_an_admin_reverses_only_inside_their_scope(
    client: Client, demo_engine: AsyncEngine
) -> None:
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2", label="admin g2")
    admin_g1, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1", label="admin g1")
    opening = await opening_of(client, "YZS1-0001")
    entries = await entry_count(client)

    body = assert_problem(
        await reverse(client, opening, writing(bearer(admin_g2))), 403, "forbidden"
    )
    assert "outside this token's scope" in body["detail"]
    assert await entry_count(client) == entries

    response = await reverse(client, opening, writing(bearer(admin_g1)))
    assert response.status_code == 201, response.text
    assert (await balance(client, "YZS1-0001"))["posted"] == 0


async def test_a_body_over_the_limit_is_413(client: Client) -> None:
    cleanup, _, _ = await cleanup_entries(client)
    entries = await entry_count(client)
    big = b'{"reason": "' + b"x" * 5000 + b'"}'
    response = await reverse(
        client,
        cleanup,
        {**writing(ADMIN), "Content-Type": "application/json"},
        json=None,
        content=big,
    )
    assert_problem(response, 413, "body_too_large")
    assert await entry_count(client) == entries

    just_fits = {"reason": "x" * 500}
    assert (await reverse(client, cleanup, writing(ADMIN), json=just_fits)).status_code == 201


async def test_concurrent_reversals_of_one_entry_post_exactly_one(
    client: Client, database_url: str
) -> None:
    """Ten admins press the button at once, each with their own key: one reversal is posted."""
    cleanup, _, _ = await cleanup_entries(client)
    opening = await opening_of(client, "YZS5-0001")  # reversing it empties the passbook
    entries = await entry_count(client)

    async with concurrent_client(database_url) as concurrent:
        for entry_id in (cleanup, opening):
            responses = await asyncio.gather(
                *(
                    reverse(concurrent, entry_id, writing(ADMIN), json={"reason": f"attempt {n}"})
                    for n in range(10)
                )
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [201] + [409] * 9, [r.text for r in responses]
            [winner] = [r.json() for r in responses if r.status_code == 201]
            assert winner["reverses_entry_id"] == entry_id
            if entry_id == cleanup:
                for response in responses:
                    if response.status_code == 409:
                        assert_problem(response, 409, "entry_already_reversed")

    assert await entry_count(client) == entries + 2
    lines = await statement_lines(client, "YZS3-0001")
    assert [line["reverses_entry_id"] for line in lines].count(cleanup) == 1
    assert lines[-1]["balance"] == 40
    assert (await balance(client, "YZS5-0001"))["posted"] == 0
    report = await verify(client)
    assert report["ok"] is True, report["problems"]


async def test_concurrent_retries_with_one_key_replay_one_reversal(
    client: Client, database_url: str
) -> None:
    """A client retrying impatiently with the same key gets the same reversal every time."""
    opening = await opening_of(client, "YZS1-0001")
    entries = await entry_count(client)
    headers = writing(ADMIN)

    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(reverse(concurrent, opening, headers) for _ in range(10))
        )

    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    bodies = [r.json() for r in responses]
    assert len({body["id"] for body in bodies}) == 1
    assert sorted(body["replayed"] for body in bodies) == [False] + [True] * 9
    assert await entry_count(client) == entries + 1
    assert (await balance(client, "YZS1-0001"))["posted"] == 0
    assert (await verify(client))["ok"] is True
