"""Taking points back with four eyes: a reversal or a correction proposed by one person moves
nothing until another person confirms it; confirming twice, or two people confirming at once,
moves the points once; a proposal is declined or withdrawn without moving anything."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN, COUNCIL_G1, COUNCIL_G1B, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    entry_count,
    make_token,
    scalar,
    verify,
)
from tests.api.test_sheets import approved, confirmed, proposed

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_a_one_person_reversal_moves_no_points(client: Client) -> None:
    sheet = await approved(client, [("YZS1-0001", 2), ("YZS1-0002", 1)])  # 10 + 5
    before = {n: (await balance(client, n))["posted"] for n in ("YZS1-0001", "YZS1-0002")}
    entries = await entry_count(client)
    proposal = await proposed(client, f"/api/sheets/{sheet['id']}/reversal", COUNCIL_G1)
    assert proposal["proposed_by"].startswith("council:")
    # the proposer confirming it themself is refused: still one person
    refused = assert_problem(
        await client.post(f"/api/takebacks/{proposal['id']}/confirmation", headers=COUNCIL_G1),
        403,
        "four_eyes",
    )
    assert "another council member" in refused["detail"]
    # the same person proposing the same again gets the same open proposal
    again = await client.post(
        f"/api/sheets/{sheet['id']}/reversal", json={"reason": "记错了"}, headers=COUNCIL_G1
    )
    assert (again.status_code, again.json()["id"], again.json()["replayed"]) == (
        202,
        proposal["id"],
        True,
    )
    # another person's proposal for the same sheet, or for one of its lines, is a conflict
    for url in (
        f"/api/sheets/{sheet['id']}/reversal",
        f"/api/sheets/{sheet['id']}/lines/1/correction",
    ):
        body = assert_problem(
            await client.post(url, json={"reason": "x"}, headers=COUNCIL_G1B),
            409,
            "takeback_conflict",
        )
        assert body["takeback_id"] == proposal["id"]
    assert await entry_count(client) == entries
    assert {n: (await balance(client, n))["posted"] for n in before} == before
    # another person confirms: the points go back, once
    done = await confirmed(client, proposal["id"], COUNCIL_G1B)
    assert done["replayed"] is False
    after = {n: (await balance(client, n))["posted"] for n in before}
    assert after == {"YZS1-0001": before["YZS1-0001"] - 10, "YZS1-0002": before["YZS1-0002"] - 5}
    assert await entry_count(client) == entries + 1
    repeat = await confirmed(client, proposal["id"], COUNCIL_G1B)
    assert (repeat["replayed"], repeat["entry_id"]) == (True, done["entry_id"])
    assert_problem(
        await client.post(f"/api/takebacks/{proposal['id']}/confirmation", headers=ADMIN),
        409,
        "takeback_conflict",
    )
    assert {n: (await balance(client, n))["posted"] for n in before} == after
    assert await entry_count(client) == entries + 1
    assert (await verify(client))["ok"]


async def test_a_correction_needs_a_second_person_too(
    client: Client, demo_engine: AsyncEngine
) -> None:
    sheet = await approved(client, [("YZS1-0001", 2), ("YZS1-0002", 3)])
    before = (await balance(client, "YZS1-0002"))["posted"]
    proposal = await proposed(
        client, f"/api/sheets/{sheet['id']}/lines/2/correction", ADMIN, reason="当天不在场"
    )
    assert (proposal["kind"], proposal["line"], proposal["passbook"], proposal["points"]) == (
        "correction",
        2,
        "YZS1-0002",
        15,
    )
    assert_problem(
        await client.post(f"/api/takebacks/{proposal['id']}/confirmation", headers=ADMIN),
        403,
        "four_eyes",
    )
    assert (await balance(client, "YZS1-0002"))["posted"] == before
    # a second staff credential is a second person
    other_admin, _ = await make_token(demo_engine, Role.ADMIN, "yanzishan", label="另一位社工")
    done = await confirmed(client, proposal["id"], bearer(other_admin))
    assert (await balance(client, "YZS1-0002"))["posted"] == before - 15
    line = (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()["lines"][1]
    assert (line["corrected"], line["correction_entry_id"]) == (True, done["entry_id"])
    assert (await verify(client))["ok"]


async def test_a_proposal_is_declined_or_withdrawn_and_nothing_moves(client: Client) -> None:
    sheet = await approved(client, [("YZS1-0001", 2)])
    url = f"/api/sheets/{sheet['id']}/lines/1/correction"
    before = (await balance(client, "YZS1-0001"))["posted"]
    first = await proposed(client, url, COUNCIL_G1)
    # the proposer withdraws, never declines; a decline needs a reason
    assert_problem(
        await client.post(
            f"/api/takebacks/{first['id']}/declination", json={"reason": "不对"}, headers=COUNCIL_G1
        ),
        403,
        "four_eyes",
    )
    assert_problem(
        await client.post(
            f"/api/takebacks/{first['id']}/declination", json={"reason": ""}, headers=COUNCIL_G1B
        ),
        422,
    )
    declined = await client.post(
        f"/api/takebacks/{first['id']}/declination",
        json={"reason": "服务记录无误"},
        headers=COUNCIL_G1B,
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["decline_reason"]) == (
        "declined",
        "服务记录无误",
    )
    assert_problem(
        await client.post(f"/api/takebacks/{first['id']}/confirmation", headers=ADMIN),
        409,
        "takeback_conflict",
    )
    # a declined proposal may be proposed again; only its proposer withdraws it
    second = await proposed(client, url, COUNCIL_G1)
    assert second["id"] != first["id"]
    assert_problem(
        await client.post(f"/api/takebacks/{second['id']}/withdrawal", headers=COUNCIL_G1B),
        403,
        "four_eyes",
    )
    withdrawn = await client.post(f"/api/takebacks/{second['id']}/withdrawal", headers=COUNCIL_G1)
    assert withdrawn.json()["status"] == "withdrawn", withdrawn.text
    assert_problem(
        await client.post(f"/api/takebacks/{second['id']}/confirmation", headers=COUNCIL_G1B),
        409,
        "takeback_conflict",
    )
    assert (await balance(client, "YZS1-0001"))["posted"] == before
    history = (await client.get(f"/api/sheets/{sheet['id']}/takebacks", headers=ADMIN)).json()
    assert [t["status"] for t in history["takebacks"]] == ["declined", "withdrawn"]
    assert_problem(await client.get("/api/takebacks/999999", headers=ADMIN), 404)


async def test_two_people_confirming_at_once_move_the_points_once(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    sheet = await approved(client, [("YZS1-0001", 2), ("YZS1-0002", 2)])
    proposal = await proposed(client, f"/api/sheets/{sheet['id']}/reversal", COUNCIL_G1)
    before = (await balance(client, "YZS1-0001"))["posted"]
    entries = await entry_count(client)
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(
                    f"/api/takebacks/{proposal['id']}/confirmation",
                    headers=COUNCIL_G1B if n % 2 else ADMIN,
                )
                for n in range(10)
            )
        )
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    first = [a.json() for a in answers if a.status_code == 200 and not a.json()["replayed"]]
    assert len(first) == 1
    # the winner's repeats are replays; the other person is told it is confirmed already
    winner = first[0]["decided_by"]
    for answer in answers:
        if answer.status_code == 200:
            assert answer.json()["decided_by"] == winner
        else:
            assert_problem(answer, 409, "takeback_conflict")
    assert (await balance(client, "YZS1-0001"))["posted"] == before - 10
    assert await entry_count(client) == entries + 1
    reversals = await scalar(
        demo_engine,
        "SELECT count(*) FROM sheet_takeback WHERE sheet_id = :s AND status = 'confirmed'",
        s=sheet["id"],
    )
    assert reversals == 1
    assert (await verify(client))["ok"]


async def test_concurrent_proposals_leave_one_open(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    sheet = await approved(client, [("YZS1-0001", 2)])
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(
                    f"/api/sheets/{sheet['id']}/lines/1/correction"
                    if n % 3
                    else f"/api/sheets/{sheet['id']}/reversal",
                    json={"reason": f"记错了 {n}"},
                    headers=COUNCIL_G1B if n % 2 else ADMIN,
                )
                for n in range(10)
            )
        )
    assert sorted(a.status_code for a in answers) == [202] + [409] * 9, [a.text for a in answers]
    open_ones = await scalar(
        demo_engine,
        "SELECT count(*) FROM sheet_takeback WHERE sheet_id = :s AND status = 'proposed'",
        s=sheet["id"],
    )
    assert open_ones == 1


async def test_the_take_backs_waiting_for_a_second_person_are_listed_in_the_unit(
    client: Client, demo_engine: AsyncEngine
) -> None:
    sheet = await approved(client, [("YZS1-0001", 1)])
    proposal = await proposed(client, f"/api/sheets/{sheet['id']}/reversal", COUNCIL_G1)
    waiting = (await client.get("/api/takebacks", headers=COUNCIL_G1B)).json()
    assert proposal["id"] in [t["id"] for t in waiting["takebacks"]]
    assert {t["status"] for t in waiting["takebacks"]} == {"proposed"}
    assert proposal["id"] in [
        t["id"] for t in (await client.get("/api/takebacks", headers=ADMIN)).json()["takebacks"]
    ]
    # another unit's staff and another grid's council see none of grid one's
    raw, _ = await make_token(demo_engine, Role.ADMIN, "yaotou", label="yaotou staff")
    elsewhere = (await client.get("/api/takebacks", headers=bearer(raw))).json()
    assert elsewhere == {"takebacks": [], "earlier": None}

    await confirmed(client, proposal["id"], COUNCIL_G1B)
    waiting = (await client.get("/api/takebacks", headers=COUNCIL_G1B)).json()
    assert proposal["id"] not in [t["id"] for t in waiting["takebacks"]]
    decided = (await client.get("/api/takebacks?open=false", headers=COUNCIL_G1B)).json()
    assert [t["status"] for t in decided["takebacks"] if t["id"] == proposal["id"]] == ["confirmed"]
    page = (await client.get("/api/takebacks?open=false&limit=1", headers=COUNCIL_G1B)).json()
    assert len(page["takebacks"]) == 1
