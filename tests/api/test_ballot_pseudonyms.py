"""Pseudonyms on the public ballot page (issue 13, finding 5): an outsider who knows every
passbook number (they are printed in sequence) cannot tell who applied, because a pseudonym is
a random ticket handed to the applicant, not a hash of their number; the applicant sees their
own ticket and finds themself in the list; and the draw is still recomputed from the public
page alone, by the very recipe docs/ballots.md prints."""

from __future__ import annotations

import hashlib
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from tests.api.conftest import ADMIN, VOLUNTEER
from tests.api.test_ballots import (
    APPLICANTS,
    Client,
    applied,
    apply,
    assert_reproduced,
    close_window,
    draw,
    open_ballot,
    place_reward,
    public,
)

DEMO_BALLOT = "kindergarten-2027-spring"
TICKET = re.compile(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}")
RECIPE = Path(__file__).resolve().parents[2] / "docs" / "ballots.md"


async def every_number(engine: AsyncEngine) -> set[str]:
    """What an outsider can list: every passbook number of the demo, and for good measure
    each grid's numbers 0001 to 1000 (they are issued in sequence)."""
    volunteer = db.metadata.tables["volunteer"]
    known = set(
        await db.run_in_transaction(
            engine, lambda conn: conn.scalars(select(volunteer.c.passbook_number))
        )
    )
    prefixes = {number.rsplit("-", 1)[0] for number in known}
    assert prefixes, "the demo has passbooks"
    return known | {f"{prefix}-{n:04d}" for prefix in prefixes for n in range(1, 1001)}


def old_recipe(ballot_code: str, numbers: set[str]) -> dict[str, str]:
    """The pseudonyms of issue 12: sha256("<ballot>:<number>") cut to 12 characters."""
    return {
        hashlib.sha256(f"{ballot_code}:{number}".encode()).hexdigest()[:12]: number
        for number in numbers
    }


async def test_hashing_every_passbook_number_maps_no_applicant(
    client: Client, demo_engine: AsyncEngine
) -> None:
    numbers = await every_number(demo_engine)
    assert len(numbers) > 1000
    # the demo's drawn ballot, as an outsider sees it
    page = await public(client, DEMO_BALLOT)
    assert len(page["applicants"]) == 3
    mapped = old_recipe(DEMO_BALLOT, numbers)
    assert [a["pseudonym"] for a in page["applicants"] if a["pseudonym"] in mapped] == []
    # and a ballot applied to now, before and after its draw
    await place_reward(client)
    await open_ballot(client)
    for number in APPLICANTS:
        await applied(client, "b1", number)
    mapped = old_recipe("b1", numbers)
    listed = [a["pseudonym"] for a in (await public(client))["applicants"]]
    assert len(listed) == len(APPLICANTS)
    assert [p for p in listed if p in mapped] == []
    await close_window(demo_engine)
    drawn = await draw(client)
    assert [a["pseudonym"] for a in drawn["applicants"] if a["pseudonym"] in mapped] == []
    assert all(TICKET.fullmatch(a["pseudonym"]) for a in drawn["applicants"])


async def test_an_applicant_finds_their_own_ticket_and_no_two_are_alike(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await place_reward(client)
    await open_ballot(client)
    response = await apply(client, headers=VOLUNTEER)
    assert response.status_code == 201, response.text
    ticket = response.json()["pseudonym"]
    assert TICKET.fullmatch(ticket), ticket
    # their own application view shows it; so does every later answer about it
    own = await client.get("/api/ballots/b1/applications/YZS1-0001", headers=VOLUNTEER)
    assert own.status_code == 200, own.text
    assert own.json()["pseudonym"] == ticket
    others = [(await applied(client, "b1", n))["pseudonym"] for n in APPLICANTS[1:]]
    tickets = [ticket, *others]
    assert len(set(tickets)) == len(tickets)
    assert sorted(a["pseudonym"] for a in (await public(client))["applicants"]) == sorted(tickets)
    # withdrawing and applying again keeps the ticket already published
    withdrawn = await client.post("/api/ballots/b1/applications/YZS6-0001/withdraw", headers=ADMIN)
    assert withdrawn.json()["pseudonym"] == others[-1]
    assert (await applied(client, "b1", "YZS6-0001"))["pseudonym"] == others[-1]
    # after the draw the applicant finds their line, and their result, by the ticket
    await close_window(demo_engine)
    page = await draw(client)
    mine = (await client.get("/api/ballots/b1/applications/YZS1-0001", headers=VOLUNTEER)).json()
    (line,) = [a for a in page["applicants"] if a["pseudonym"] == ticket]
    assert (line["rank"], line["status"], line["lottery_key"]) == (
        mine["draw_rank"],
        mine["status"],
        mine["lottery_key"],
    )
    assert (mine["voucher"] is not None) == (ticket in page["result"]["winners"])


def recipe_code() -> str:
    """The Python block of docs/ballots.md's section on recomputing a draw."""
    text = RECIPE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    (recipe,) = [b for b in blocks if "/api/public/ballots/" in b]
    return recipe


@pytest.mark.parametrize("rule", ["points_rank", "weighted_lottery"])
async def test_the_recipe_in_the_docs_recomputes_a_draw_from_the_public_page(
    client: Client,
    demo_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rule: str,
) -> None:
    await place_reward(client)
    await open_ballot(client, rule=rule)
    for number in APPLICANTS:
        await applied(client, "b1", number)
    await close_window(demo_engine)
    page = await draw(client)
    assert_reproduced(page)
    asked: list[str] = []

    def urlopen(url: str) -> io.BytesIO:  # what an outsider's download would give
        asked.append(url)
        return io.BytesIO(json.dumps(page).encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    code = recipe_code().replace(DEMO_BALLOT, "b1")
    namespace: dict[str, Any] = {}
    exec(compile(code, str(RECIPE), "exec"), namespace)  # noqa: S102 - our own docs
    assert asked == ["http://127.0.0.1:8000/api/public/ballots/b1"]
    assert namespace["order"] == [a["pseudonym"] for a in page["applicants"]]
    assert capsys.readouterr().out.strip() == f"first places: {page['result']['winners']}"
