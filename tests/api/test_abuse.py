"""Bad input and abuse: what a careless or hostile client sends, and how it is refused.

Each refusal is problem details that name what is wrong and change nothing:

* a body over the configured limit is 413 on every operation that takes one, with or
  without a Content-Length (and with a lying one);
* every page size has a documented maximum, and a larger one is refused with 422;
* zero, negative and absurd amounts and counts (10**30, 2**63, 1.5, "5", true) are 422
  naming the field;
* every request body refuses unknown fields, nested ones too;
* Chinese and emoji text comes back exactly as sent;
* a voucher code with one wrong character is refused by its check character before the
  database is asked anything about vouchers;
* a million voucher codes from the real generator never collide;
* a scanner credential guessing codes is slowed down with 429, and only that credential.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

import rewards
from access import Role
from api.routes.rewards import mask_name
from seeds.rewards import BALLOT_CODE
from tests.api.conftest import ADMIN, COUNCIL_G1, MAX_BODY_BYTES, VOLUNTEER, concurrent_client
from tests.api.helpers import (
    assert_problem,
    bearer,
    entry_count,
    execute,
    make_token,
    move_points,
    statement_lines,
    writing,
)
from tests.api.rewards_helpers import MARKET, add_reward, mistype, redeemed, scan

Client = AsyncTestClient  # type: ignore[type-arg]

# Who can get past an operation's guard to have its body read (the admin unless said here);
# path parameters are filled with demo values.
_CALLERS: dict[str, dict[str, str]] = {
    "POST /api/sheets": COUNCIL_G1,
    "POST /api/sheets/{sheet_id}/reject": COUNCIL_G1,
    "PATCH /api/sheets/{sheet_id}": COUNCIL_G1,
    "POST /api/sheets/{sheet_id}/revision": COUNCIL_G1,
    "POST /api/scan/verify": MARKET,
    "POST /api/scan/consume": MARKET,
    "POST /api/sign-in": {},
}
_DEMO_PATH = {
    "{entry_id}": "1",
    "{sheet_id}": "1",
    "{line}": "1",
    "{takeback_id}": "1",
    "{number}": "YZS1-0001",
    "{grid}": "yzs-g1",
    "{month}": "2026-12",
    "{grant_id}": "1",
    "{batch}": "batch-1",
    "{token_id}": "1",
}
_DEMO_CODES = {
    "/api/rewards/": "tissues",
    "/api/ballots/": BALLOT_CODE,
    "/api/council-members/": "yzs-g1-a",
    "/api/savings-rules/": "home-visit",
    "/api/org-units/": "yzs-g1",
}


def _document(app: Litestar) -> dict[str, Any]:
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


OWN_LIMITS = {
    # a signed checkpoint names every account, so it may be far larger than other requests
    ("POST", "/api/books/checkpoint/verification"),
}
"""JSON operations with a larger limit of their own, documented on their 413 answer."""


def _body_operations(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every operation that takes a JSON body at the app's limit
    (file uploads, the roster and opening-balance imports, have their own limit and tests:
    tests/api/test_roster.py; so do :data:`OWN_LIMITS`)."""
    return [
        (method.upper(), path)
        for path, item in _document(app)["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and "application/json" in operation.get("requestBody", {}).get("content", {})
        and (method.upper(), path) not in OWN_LIMITS
    ]


def _url(path: str) -> str:
    for placeholder, value in _DEMO_PATH.items():
        path = path.replace(placeholder, value)
    if "{code}" in path:
        path = path.replace("{code}", next(v for p, v in _DEMO_CODES.items() if path.startswith(p)))
    return path


def _headers(method: str, path: str) -> dict[str, str]:
    return writing(_CALLERS.get(f"{method} {path}", ADMIN))


# --- oversized bodies -------------------------------------------------------------------------


async def test_every_body_over_the_limit_is_413_and_changes_nothing(client: Client) -> None:
    operations = _body_operations(client.app)
    assert len(operations) >= 20
    entries = await entry_count(client)
    too_big = b'{"reason": "' + "积分".encode() * (MAX_BODY_BYTES // 6 + 10) + b'"}'
    assert len(too_big) > MAX_BODY_BYTES
    for method, path in operations:
        response = await client.request(
            method,
            _url(path),
            content=too_big,
            headers={**_headers(method, path), "Content-Type": "application/json"},
        )
        body = assert_problem(response, 413, "body_too_large")
        assert f"at most {MAX_BODY_BYTES} bytes" in body["detail"], (method, path)
        assert body["max_body_bytes"] == MAX_BODY_BYTES
    assert await entry_count(client) == entries


async def _chunks(size: int) -> AsyncIterator[bytes]:
    yield b'{"reason": "'
    for _ in range(size // 1000 + 1):
        yield b"x" * 1000
    yield b'"}'


async def test_a_streamed_or_mislabelled_body_is_measured_as_it_arrives(
    client: Client, database_url: str
) -> None:
    """No Content-Length (chunked), or one that lies: the body is counted as it is read.
    (The litestar test client cannot stream a body, so this goes through httpx's ASGI
    transport.)"""
    entries = await entry_count(client)
    url = "/api/entries/1/reversal"
    json_headers = {**writing(ADMIN), "Content-Type": "application/json"}
    async with concurrent_client(database_url) as streaming:
        chunked = await streaming.post(url, headers=json_headers, content=_chunks(5 * 1024))
        assert "content-length" not in chunked.request.headers
        lying = await streaming.post(
            url,
            headers={**json_headers, "Content-Length": "20"},
            content=b'{"reason": "' + b"x" * (2 * MAX_BODY_BYTES) + b'"}',
        )
        announced = await streaming.post(
            url,
            headers={**json_headers, "Content-Length": str(10**12)},
            content=b'{"reason": "x"}',
        )
    for response in (chunked, lying, announced):
        assert_problem(response, 413, "body_too_large")
    assert await entry_count(client) == entries


# --- page sizes -------------------------------------------------------------------------------

# Query parameters an operation needs besides its page size.
_REQUIRED_QUERY = {
    "/api/reports/leaderboard": {"since": "2026-01", "until": "2026-12"},
    "/api/reports/leaderboard.csv": {"since": "2026-01", "until": "2026-12"},
    "/api/reports/leaderboard.xlsx": {"since": "2026-01", "until": "2026-12"},
}


async def test_every_page_size_is_bounded_and_a_larger_one_refused(client: Client) -> None:
    paged = [
        (path, parameter["schema"])
        for path, item in _document(client.app)["paths"].items()
        for parameter in item.get("get", {}).get("parameters", [])
        if parameter["in"] == "query" and parameter["name"] == "limit"
    ]
    assert {path for path, _ in paged} >= {
        "/api/passbooks/{number}/statement",
        "/api/volunteers",
        "/api/sheets",
        "/api/reports/leaderboard",
    }
    for path, schema in paged:
        most = schema.get("maximum")
        assert most is not None, f"{path}: 'limit' has no documented maximum"
        assert float(most).is_integer(), (path, most)
        most = int(most)
        assert schema.get("minimum") == 1, path
        url, extra = _url(path), _REQUIRED_QUERY.get(path, {})
        fits = await client.get(url, params={**extra, "limit": most}, headers=ADMIN)
        assert fits.status_code == 200, (path, fits.text)
        for wrong in (most + 1, 10**30, 2**63, 0, -1, "ten"):
            response = await client.get(url, params={**extra, "limit": wrong}, headers=ADMIN)
            body = assert_problem(response, 422, "invalid_request")
            assert [e["key"] for e in body["errors"]] == ["limit"], (path, wrong, body)
            assert "(limit)" in body["detail"]


# --- amounts and counts -----------------------------------------------------------------------


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


# (what, method, url, caller, a body valid but for the field, the field as errors name it,
# the lowest value allowed)
_SHEET = {"rule": "home-visit", "activity_date": "2026-11-20"}
AMOUNTS: list[tuple[str, str, str, dict[str, str], dict[str, Any], str, int]] = [
    ("reward cost", "POST", "/api/rewards", ADMIN,
     {"code": "pen", "name": "笔", "kind": "goods", "merchant": "market"}, "cost_points", 1),
    ("reward stock", "POST", "/api/rewards", ADMIN,
     {"code": "pen", "name": "笔", "kind": "goods", "merchant": "market", "cost_points": 5},
     "stock_total", 0),
    ("reward quota", "POST", "/api/rewards", ADMIN,
     {"code": "pen", "name": "笔", "kind": "goods", "merchant": "market", "cost_points": 5},
     "monthly_quota", 1),
    ("stock top-up", "PATCH", "/api/rewards/tissues", ADMIN, {}, "stock_total", 0),
    ("redemption quantity", "POST", "/api/rewards/tissues/redemptions", VOLUNTEER, {},
     "quantity", 1),
    ("sheet line units", "POST", "/api/sheets", COUNCIL_G1, _SHEET, "lines.0.units", 1),
    ("grid budget", "PUT", "/api/grids/yzs-g1/budgets/2026-12", ADMIN, {}, "cap_points", 0),
    ("rule points", "POST", "/api/savings-rules", ADMIN,
     {"code": "r", "name": "规则", "category": "c", "unit": "hour", "daily_cap_units": 2,
      "valid_from": "2026-12-01", "org_unit": "yanshan"}, "points_per_unit", 1),
    ("incentive bonus", "POST", "/api/incentives", ADMIN,
     {"code": "i", "name": "激励", "kind": "milestone", "threshold": 100, "org_unit": "yanshan"},
     "bonus_points", 1),
    ("ballot places", "POST", "/api/ballots", ADMIN,
     {"code": "b", "reward": "kindergarten-place", "rule": "points_rank",
      "closes_at": "2027-01-01T00:00:00+08:00", "claim_days": 7}, "places", 1),
]  # fmt: skip
ABSURD: list[Any] = [10**30, 2**63, 2**63 - 1, 1.5, "5", True, None, [], {}]


def _with(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    if field.startswith("lines.0."):
        return {**body, "lines": [{"passbook": "YZS1-0001", field.split(".")[-1]: value}]}
    return {**body, field: value}


@pytest.mark.parametrize(
    ("what", "method", "url", "caller", "body", "field", "lowest"),
    AMOUNTS,
    ids=[case[0] for case in AMOUNTS],
)
async def test_zero_negative_and_absurd_amounts_are_refused_naming_the_field(
    client: Client,
    what: str,
    method: str,
    url: str,
    caller: dict[str, str],
    body: dict[str, Any],
    field: str,
    lowest: int,
) -> None:
    entries = await entry_count(client)
    for wrong in [lowest - 1, -1, *ABSURD]:
        if wrong is None and field in {"stock_total", "monthly_quota"}:
            continue  # null means "no limit" there
        response = await client.request(
            method, url, json=_with(body, field, wrong), headers={**caller, **_key()}
        )
        problem = assert_problem(response, 422, "invalid_request")
        assert [e["key"] for e in problem["errors"]] == [field], (what, wrong, problem)
        assert f"({field})" in problem["detail"], (what, wrong)
    assert await entry_count(client) == entries


# --- unknown fields ---------------------------------------------------------------------------


def _request_models(app: Litestar) -> Iterator[type[BaseModel]]:
    """The API's request bodies (the pages' forms are dataclasses read from form fields)."""
    for route in app.routes:
        if not route.path.startswith("/api"):
            continue
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None:
                yield data.annotation


def _nested(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        for inner in getattr(field.annotation, "__args__", (field.annotation,)):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from _nested(inner)


async def test_every_request_body_model_forbids_unknown_fields(client: Client) -> None:
    models = {m for model in _request_models(client.app) for m in _nested(model)}
    assert len(models) >= 20
    lenient = sorted(m.__name__ for m in models if m.model_config.get("extra") != "forbid")
    assert lenient == []


async def test_an_unknown_field_is_refused_on_every_operation(client: Client) -> None:
    entries = await entry_count(client)
    for method, path in _body_operations(client.app):
        response = await client.request(
            method, _url(path), json={"surprise": 1}, headers=_headers(method, path)
        )
        problem = assert_problem(response, 422, "invalid_request")
        surprise = [e for e in problem["errors"] if e["key"] == "surprise"]
        assert surprise, (method, path, problem)
        assert "takes no field of this name" in surprise[0]["message"]
    nested = {**_SHEET, "lines": [{"passbook": "YZS1-0001", "units": 1, "bonus": 100}]}
    response = await client.post("/api/sheets", json=nested, headers=COUNCIL_G1)
    problem = assert_problem(response, 422, "invalid_request")
    assert [e["key"] for e in problem["errors"]] == ["lines.0.bonus"]
    assert await entry_count(client) == entries


# --- Chinese and emoji ------------------------------------------------------------------------

# CJK, a character beyond the BMP (𠀋), an emoji with a skin tone, a ZWJ family and a
# decomposed é (e + combining accent): each comes back byte for byte, not normalised.
TEXTS = ["王秀兰", "欧阳🌸娜娜", "𠀋子涵 👍🏽", "李👩‍👩‍👧家", "René 陈"]


async def test_chinese_and_emoji_text_round_trips_exactly(
    client: Client, demo_engine: AsyncEngine
) -> None:
    for n, text in enumerate(TEXTS):
        number, name = f"UNI-{n}", text
        created = await client.post(
            "/api/volunteers",
            json={"passbook_number": number, "name": name, "grid": "yzs-g1"},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        assert created.json()["name"] == name
        assert (await client.get(f"/api/volunteers/{number}", headers=ADMIN)).json()["name"] == name
        holder = (await client.get(f"/api/passbooks/{number}", headers=ADMIN)).json()["holder"]
        assert holder == name

        reward = await add_reward(client, f"gift-{n}", name=text, description=text * 3)
        assert (reward["name"], reward["description"]) == (text, text * 3)
        offer = (await client.get(f"/api/rewards/gift-{n}", headers=ADMIN)).json()
        assert offer["reward"]["name"] == text

        memo = f"{text}：楼道清理 🧹"
        entry_id = await move_points(demo_engine, number, 10, memo=memo)
        assert (await statement_lines(client, number))[-1]["what_for"] == memo
        reversal = await client.post(
            f"/api/entries/{entry_id}/reversal", json={"reason": memo}, headers=writing(ADMIN)
        )
        assert reversal.status_code == 201, reversal.text
        read_back = await client.get(f"/api/entries/{reversal.json()['id']}", headers=ADMIN)
        assert read_back.json()["memo"] == memo
    assert mask_name(TEXTS[0]) == "王*兰"


@pytest.mark.parametrize(
    "name",
    ["王\u200b兰", "\u202e兰秀王", "王\n兰", "\u200d", " \u200c\u200d "],
    ids=["zero-width space", "bidi override", "line break", "only a joiner", "only joiners"],
)
async def test_a_name_with_an_invisible_or_control_character_is_refused(
    client: Client, name: str
) -> None:
    response = await client.post(
        "/api/volunteers",
        json={"passbook_number": "UNI-X", "name": name, "grid": "yzs-g1"},
        headers=ADMIN,
    )
    assert_problem(response, 422)
    assert (await client.get("/api/volunteers/UNI-X", headers=ADMIN)).status_code == 404


# --- voucher codes ----------------------------------------------------------------------------


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


_VOUCHER_TABLE = re.compile(r"\bvoucher\b", re.IGNORECASE)


async def test_a_mistyped_code_is_refused_before_any_voucher_lookup(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5)
    code = (await redeemed(client, "soap"))["vouchers"][0]["code"]
    engine: AsyncEngine = client.app.state.engine
    for position in range(rewards.CODE_LENGTH):
        # a fresh count each time: this scanner's 40 typos would pause it otherwise
        await execute(demo_engine, "DELETE FROM throttle")
        wrong = mistype(code, position)
        assert not rewards.is_well_formed(wrong)
        for action in ("verify", "consume"):
            with _statements(engine) as seen:
                response = await scan(client, action, wrong)
            body = assert_problem(response, 422, "voucher_code_invalid")
            assert "check character" in body["detail"]
            assert seen, "the listener sees the token lookup"
            assert not [s for s in seen if _VOUCHER_TABLE.search(s)], (position, action, seen)
    # the listener would have seen a lookup: a well-formed unknown code is looked up
    with _statements(engine) as seen:
        assert_problem(await scan(client, "verify", rewards.new_code()), 404)
    assert [s for s in seen if _VOUCHER_TABLE.search(s)]


@pytest.mark.skipif(
    bool(os.environ.get("PASSBOOK_TEST_DATABASE_URL")),
    reason="no database involved: the SQLite run checks it",
)
def test_a_million_voucher_codes_never_collide() -> None:
    """1,000,000 codes from the real generator are distinct and pass their own check.

    Why no collision is expected: 19 characters from 31 carry 19 * log2(31) = 94.1 random
    bits. By the birthday bound, n codes collide with probability at most n**2 / (2 * 31**19);
    for n = 10**6 that is 10**12 / 3.9e28, about 2.6e-17. A collision here means the
    generator lost its randomness (a seeded or shared random source, a dropped character)."""
    new_code = rewards.new_code
    codes = {new_code() for _ in range(1_000_000)}
    assert len(codes) == 1_000_000
    assert all(rewards.is_well_formed(code) for code in list(codes)[:10_000])


# --- guessing codes ---------------------------------------------------------------------------


async def test_guessing_codes_slows_down_only_the_guessing_credential(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """Two scanner tokens of the same merchant: the one that guesses is paused with 429, the
    other goes on scanning; the limit is per credential, not per merchant."""
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]["code"]
    guesser, _ = await make_token(demo_engine, Role.MERCHANT, "market", label="till 1")
    honest, _ = await make_token(demo_engine, Role.MERCHANT, "market", label="till 2")
    limit = rewards.ScanThrottle().limit

    for attempt in range(limit):
        guess = rewards.new_code() if attempt % 2 else mistype(voucher, attempt)
        response = await scan(client, "verify", guess, bearer(guesser))
        assert response.status_code in (404, 422), response.text
    for action in ("verify", "consume"):
        paused = await scan(client, action, voucher, bearer(guesser))
        body = assert_problem(paused, 429, "too_many_invalid_codes")
        assert 1 <= int(paused.headers["Retry-After"]) <= 60
        assert body["retry_after"] == int(paused.headers["Retry-After"])
        assert "wait" in body["detail"].lower() or "try again" in body["detail"].lower()

    assert (await scan(client, "verify", voucher, bearer(honest))).status_code == 200
    used = await scan(client, "consume", voucher, bearer(honest))
    assert used.status_code == 200, used.text
    # the honest till's own mistakes are its own: one typo does not pause it
    assert_problem(await scan(client, "verify", mistype(voucher, 3), bearer(honest)), 422)
    assert (await scan(client, "verify", voucher, bearer(honest))).status_code == 200
