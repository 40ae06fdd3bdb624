"""Findings 6 and 10 of the security review: what a caller outside a person's unit can learn.

A registration of a number (or council member code) taken outside the admin's unit is answered
without any comparison of personal data, the same whatever the request says; in the unit the
helpful comparison stays. A passbook number outside a caller's scope is answered exactly as a
number that does not exist; sign-in answers a number with no PIN exactly as a wrong PIN.
"""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from scheme_time import scheme_today
from seeds.rewards import merchant_token
from tests.api.conftest import ADMIN
from tests.api.helpers import answer_text, assert_problem, bearer, make_token

Client = AsyncTestClient  # type: ignore[type-arg]

# YZS1-0001 (王秀兰, grid yzs-g1 of Yanzishan) as an admin of Yaotou community would guess her.
GUESSES = ["13912340001", "13912349999"]


async def yaotou_admin(engine: AsyncEngine) -> dict[str, str]:
    raw, _ = await make_token(engine, Role.ADMIN, "yaotou", label="yaotou admin")
    return bearer(raw)


def without_instance(body: dict[str, Any]) -> dict[str, Any]:
    """The refusal without what is each answer's own: the path asked and the request id."""
    return {k: v for k, v in body.items() if k not in ("instance", "request_id")}


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
        bodies.append(answer_text(response).replace(response.request.url.path, ""))
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


# --- finding 10: a number outside the caller's scope is answered as an unknown one ----------

KNOWN, UNKNOWN = "YZS1-0001", "YZS1-0777"  # 王秀兰 of grid yzs-g1; a number nobody holds

# (method, url, body) with {n} for the number; each asked with both numbers by each caller.
ASKED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/passbooks/{n}", None),
    ("GET", "/api/passbooks/{n}/statement", None),
    ("GET", "/api/passbooks/{n}/printable", None),
    ("GET", "/api/passbooks/{n}/vouchers", None),
    ("GET", "/api/volunteers/{n}", None),
    ("GET", "/api/volunteers/{n}/moves", None),
    ("PATCH", "/api/volunteers/{n}", {"leaderboard_opt_out": True}),
    ("PUT", "/api/volunteers/{n}/pin", {"pin": "480613"}),
    ("PUT", "/api/volunteers/{n}/status", {"status": "active"}),
    ("POST", "/api/volunteers/{n}/move", {"to_grid": "yt-g1"}),
    ("GET", "/api/rewards?passbook={n}", None),
    ("GET", "/api/rewards/tissues?passbook={n}", None),
    ("POST", "/api/rewards/tissues/redemptions", {"passbook": "{n}"}),
    ("GET", "/api/grants?passbook={n}", None),
    ("POST", "/api/passbooks/{n}/opening-balance", {"points": 10, "as_of": "2025-06-30"}),
    ("POST", "/api/passbooks/{n}/adjustments", {"points": 2, "as_of": "2025-06-30", "reason": "x"}),
    ("POST", "/api/council-members",
     {"code": "yt-g1-z", "name": "测试委员", "grid": "yt-g1", "passbook_number": "{n}"}),
]  # fmt: skip


def _with(body: dict[str, Any] | None, number: str) -> dict[str, Any] | None:
    if body is None:
        return None
    return {k: v.replace("{n}", number) if isinstance(v, str) else v for k, v in body.items()}


async def _answer(
    client: Client, method: str, url: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> tuple[int, str]:
    response = await client.request(
        method, url, json=body, headers={**headers, "Idempotency-Key": f"probe-{method}-{url}"}
    )
    text = answer_text(response).replace(response.request.url.path, "<path>")
    return response.status_code, text


async def test_a_number_outside_the_scope_is_answered_as_an_unknown_one(
    client: Client, demo_engine: AsyncEngine
) -> None:
    callers = {
        "Yaotou's admin": await yaotou_admin(demo_engine),
        "a council member of grid yzs-g2": bearer(
            (await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a"))[0]
        ),
        "an auditor of grid yzs-g2": bearer(
            (await make_token(demo_engine, Role.AUDITOR, "yzs-g2"))[0]
        ),
        "the market (a merchant)": bearer(merchant_token("market")),
    }
    failures = []
    for who, headers in callers.items():
        for method, template, body in ASKED:
            known = await _answer(
                client, method, template.replace("{n}", KNOWN), _with(body, KNOWN), headers
            )
            unknown = await _answer(
                client, method, template.replace("{n}", UNKNOWN), _with(body, UNKNOWN), headers
            )
            if known[0] < 400:
                failures.append(f"{who} {method} {template}: answered {known}")
            elif (known[0], known[1].replace(KNOWN, UNKNOWN)) != unknown:
                failures.append(f"{who} {method} {template}: {known} but {unknown}")
    assert not failures, "\n".join(failures)


async def test_a_sheet_line_outside_the_grid_is_refused_as_an_unknown_number(
    client: Client, demo_engine: AsyncEngine
) -> None:
    council = bearer((await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a"))[0])
    today = scheme_today().isoformat()
    problems = []
    for number in (KNOWN, UNKNOWN):
        response = await client.post(
            "/api/sheets",
            json={"rule": "garbage-sorting", "activity_date": today,
                  "lines": [{"passbook": "YZS2-0001", "units": 1},
                            {"passbook": number, "units": 20},
                            {"passbook": number, "units": 1}]},
            headers={**council, "Idempotency-Key": f"sheet-{number}"},
        )  # fmt: skip
        problem = assert_problem(response, 422, "invalid_scoring_sheet")
        problems.append(json.dumps(problem["lines"], ensure_ascii=False).replace(number, "N"))
    assert problems[0] == problems[1]


async def test_sign_in_answers_a_number_with_no_pin_as_a_wrong_pin(client: Client) -> None:
    made = await client.put("/api/volunteers/YZS1-0001/pin", json={"pin": "2580"}, headers=ADMIN)
    assert made.status_code == 200, made.text
    runs = []
    for number in ("YZS1-0001", "YZS1-0002"):  # a PIN set; none set yet
        answers = []
        for _ in range(4):
            response = await client.post(
                "/api/sign-in", json={"passbook_number": number, "pin": "3691"}
            )
            body = response.json()
            answers.append((response.status_code, body["code"], body["detail"]))
        runs.append(answers)
    assert runs[0] == runs[1]
    assert [status for status, _, _ in runs[0]] == [401, 401, 401, 429]
