"""Findings 6 and 10 of the security review: what a caller outside a person's unit can learn.

A registration of a number (or council member code) taken outside the admin's unit is answered
without any comparison of personal data, the same whatever the request says; in the unit the
helpful comparison stays. A passbook number outside a caller's scope is answered exactly as a
number that does not exist; sign-in answers a number with no PIN exactly as a wrong PIN.
"""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN
from tests.api.helpers import assert_problem, bearer, make_token

Client = AsyncTestClient  # type: ignore[type-arg]

# YZS1-0001 (王秀兰, grid yzs-g1 of Yanzishan) as an admin of Yaotou community would guess her.
GUESSES = ["13912340001", "13912349999"]


async def yaotou_admin(engine: AsyncEngine) -> dict[str, str]:
    raw, _ = await make_token(engine, Role.ADMIN, "yaotou", label="yaotou admin")
    return bearer(raw)


def without_instance(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "instance"}


async def test_a_registration_outside_the_unit_compares_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    headers = await yaotou_admin(demo_engine)
    await client.patch("/api/volunteers/YZS1-0001", json={"phone": GUESSES[0]}, headers=ADMIN)
    bodies = []
    for name, phone in [("王秀兰", GUESSES[0]), ("王秀兰", GUESSES[1]), ("某某某", None)]:
        body = {"passbook_number": "YZS1-0001", "name": name, "grid": "yt-g1"}
        if phone is not None:
            body["phone"] = phone
        response = await client.post("/api/volunteers", json=body, headers=headers)
        problem = assert_problem(response, 409, "registration_conflict")
        assert "differs" not in problem, problem
        assert "outside your unit" in problem["detail"]
        bodies.append(response.content.replace(response.request.url.path.encode(), b""))
    assert len(set(bodies)) == 1, bodies
    # In the unit the comparison stays, to help the grid worker.
    inside = await client.post(
        "/api/volunteers",
        json={"passbook_number": "YZS1-0001", "name": "王秀兰", "grid": "yzs-g1",
              "phone": GUESSES[1]},
        headers=ADMIN,
    )  # fmt: skip
    assert assert_problem(inside, 409, "registration_conflict")["differs"] == ["phone"]


async def test_a_council_code_taken_outside_the_unit_compares_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    made = await client.post(
        "/api/council-members",
        json={"code": "yzs-g1-c", "name": "测试委员", "grid": "yzs-g1", "phone": GUESSES[0]},
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text
    headers = await yaotou_admin(demo_engine)
    answers = []
    for phone in GUESSES:
        response = await client.post(
            "/api/council-members",
            json={"code": "yzs-g1-c", "name": "测试委员", "grid": "yt-g1", "phone": phone},
            headers=headers,
        )
        problem = assert_problem(response, 409, "registration_conflict")
        assert "differs" not in problem, problem
        assert GUESSES[0] not in response.text
        assert "grid" not in problem["detail"]
        answers.append(without_instance(problem))
    assert answers[0] == answers[1]
    inside = await client.post(
        "/api/council-members",
        json={"code": "yzs-g1-c", "name": "测试委员", "grid": "yzs-g1", "phone": GUESSES[1]},
        headers=ADMIN,
    )
    assert assert_problem(inside, 409, "registration_conflict")["differs"] == ["phone"]


async def test_a_roster_row_outside_the_unit_compares_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    headers = {**await yaotou_admin(demo_engine), "Content-Type": "text/csv"}
    await client.patch("/api/volunteers/YZS1-0001", json={"phone": GUESSES[0]}, headers=ADMIN)
    answers = []
    for phone in GUESSES:
        upload = f"存折号,姓名,网格,电话\r\nYZS1-0001,王秀兰,yt-g1,{phone}\r\n".encode("gbk")
        response = await client.post("/api/volunteers/import", content=upload, headers=headers)
        problem = assert_problem(response, 422)
        codes = {p["code"] for p in problem["problems"]}
        assert codes == {"not_in_your_unit"}, problem
        answers.append(without_instance(problem))
    assert answers[0] == answers[1]
