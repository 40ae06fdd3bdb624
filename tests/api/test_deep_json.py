"""A JSON body nested deeper than the decoder can follow (finding 9: 1,000 ``[`` in 2 KB
answered 500 with a RecursionError) is refused as 400 problem details on every operation that
takes JSON, with a token or without, and nothing is done."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.api.conftest import ADMIN, VOLUNTEER
from tests.api.helpers import assert_problem, writing

Client = AsyncTestClient  # type: ignore[type-arg]
JSON = {"Content-Type": "application/json"}
DEEP = {
    "open lists": b"[" * 1000,
    "closed lists": b"[" * 1000 + b"]" * 1000,
    "in a field": b'{"name":' + b"[" * 1000 + b"]" * 1000 + b"}",
}


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
async def test_signing_in_with_deep_json_is_a_bad_request(client: Client, body: bytes) -> None:
    assert len(body) <= 4096
    problem = assert_problem(
        await client.post("/api/sign-in", content=body, headers=JSON), 400, "bad_request"
    )
    assert "nested too deeply" in problem["detail"]


async def test_a_protected_operation_refuses_deep_json_before_doing_anything(
    client: Client,
) -> None:
    before = (await client.get("/api/rewards", headers=ADMIN)).json()
    for body in DEEP.values():
        answer = await client.post("/api/rewards", content=body, headers={**ADMIN, **JSON})
        assert_problem(answer, 400, "bad_request")
        redeem = await client.post(
            "/api/rewards/tissues/redemptions", content=body, headers=writing({**VOLUNTEER, **JSON})
        )
        assert_problem(redeem, 400, "bad_request")
    assert (await client.get("/api/rewards", headers=ADMIN)).json() == before


def _json_operations(client: Client) -> list[tuple[str, str]]:
    document: dict[str, Any] = client.app.openapi_schema.to_schema()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


async def test_no_operation_answers_deep_json_with_a_server_error(client: Client) -> None:
    operations = _json_operations(client)
    assert len(operations) > 20
    statuses = {}
    for method, path in operations:
        answer = await client.request(
            method, path, content=DEEP["open lists"], headers=writing({**ADMIN, **JSON})
        )
        statuses[method, path] = answer.status_code
        # the admin's guard may refuse first (403: a scanner's operation); never a 500
        assert answer.status_code in {400, 403}, (method, path, answer.text)
    assert list(statuses.values()).count(400) > len(operations) // 2
