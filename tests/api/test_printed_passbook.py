"""The printed passbook and its check codes.

What it protects: a page's check code, typed back with its line number, verifies while the
books still hold the printed history, and only for that line; a consistent rewrite of the
account's chain (immutability triggers switched off, every hash recomputed, so plain verify
passes) makes the old printed code fail; a wrong code fails and the answer tells nothing else;
guessing is throttled per client address; pages carry their balances from one to the next and
are fixed by line number; and a volunteer cannot print another's passbook.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import community
import db
import ledger
import scheme_time
from access import Role
from community import services
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import (
    assert_problem,
    bearer,
    make_token,
    move_points,
    scalar,
    statement_lines,
    verify,
)
from tests.api.rewrite_helpers import rewrite_history

Client = AsyncTestClient  # type: ignore[type-arg]
SUBJECT = "YZS1-0001"  # 王秀兰, grid yzs-g1; the demo volunteer token holds it
OTHER = "YZS1-0003"  # another volunteer of the same grid
CHECK = "/api/check-codes/verification"
ZH = {"Accept-Language": "zh-CN"}


def printable_url(number: str, lines: int = 12, **query: int) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"/api/passbooks/{number}/printable?lines_per_page={lines}{extra}"


async def printable(
    client: Client, number: str = SUBJECT, lines: int = 12, headers: dict[str, str] = ADMIN,
    **query: int,
) -> dict[str, Any]:  # fmt: skip
    answer = await client.get(printable_url(number, lines, **query), headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def check(
    client: Client, number: str, sequence: int, code: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    answer = await client.post(
        CHECK, json={"number": number, "sequence": sequence, "code": code}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"matches", "message"}
    return body


def other_code(code: str) -> str:
    """``code`` with its last character changed: a code of the same shape that is wrong."""
    last = ledger.CHECK_CODE_ALPHABET.index(code[-1])
    return code[:-1] + ledger.CHECK_CODE_ALPHABET[(last + 1) % 32]


async def give_lines(engine: AsyncEngine, number: str, count: int) -> None:
    for index in range(count):
        await move_points(engine, number, 3 if index % 3 else -1, memo=f"printed test {index}")


@pytest.mark.parametrize("number", [SUBJECT, "YZS3-0001"])  # 1 line; 4 lines and a reversal
async def test_codes_of_a_demo_passbook_verify_each_only_for_its_line(
    client: Client, number: str
) -> None:
    lines = await statement_lines(client, number)
    book = await printable(client, number)
    holder = book["holder"]
    assert (book["number"], book["lines_total"]) == (number, len(lines))
    pages = book["pages"]
    assert len(pages) == book["pages_total"] == 1
    assert pages[0]["last_line"] == len(lines)
    assert not pages[0]["full"]
    line, code = pages[0]["last_line"], pages[0]["check_code"]
    answer = await check(client, number, line, code)
    assert answer["matches"] is True, answer
    assert code in answer["message"]
    assert "matches" in answer["message"]
    assert holder not in answer["message"]
    # typed loosely: lower case, a space for the dash, O for 0 and I for 1 in the number
    loose_number = number.lower().replace("0", "o").replace("1", "i")
    assert (await check(client, loose_number, line, code.lower().replace("-", " ")))["matches"]
    # the code is not the code of any other line, nor of another passbook's line
    for other_line in range(1, len(lines) + 3):
        if other_line != line:
            assert (await check(client, number, other_line, code))["matches"] is False
    assert (await check(client, OTHER, line, code))["matches"] is False
    chinese = await check(client, number, line, code, ZH)
    assert "一致" in chinese["message"]
    assert "不一致" not in chinese["message"]


async def test_a_wrong_code_does_not_verify_and_tells_nothing_else(
    client: Client, demo_engine: AsyncEngine
) -> None:
    page = (await printable(client, lines=4))["pages"][0]
    line, code = page["last_line"], page["check_code"]
    wrong = await check(client, SUBJECT, line, other_code(code))
    unknown = await check(client, "YZS9-9999", line, code)
    beyond = await check(client, SUBJECT, 10_000, code)
    assert wrong["matches"] is unknown["matches"] is beyond["matches"] is False
    sent = [(wrong, other_code(code), line, SUBJECT), (unknown, code, line, "YZS9-9999"),
            (beyond, code, 10_000, SUBJECT)]  # fmt: skip
    for answer, typed, asked_line, number in sent:
        text = answer["message"]
        for value in (typed, number, str(asked_line)):
            text = text.replace(value, "")
        assert not any(ch.isdigit() for ch in text), answer  # no figure but what was sent
        assert "王秀兰" not in text
    # the answers differ only in the number and line the request itself sent
    assert wrong["message"].replace(other_code(code), code) == beyond["message"].replace(
        "10000", str(line)
    )
    not_a_code = await client.post(CHECK, json={"number": SUBJECT, "sequence": 1, "code": "12"})
    body = assert_problem(not_a_code, 422, "invalid_check_code")
    assert "7K3M-Q9PX" in body["detail"]
    chinese = await client.post(
        CHECK, json={"number": SUBJECT, "sequence": 1, "code": "12"}, headers=ZH
    )
    assert "核对码" in assert_problem(chinese, 422, "invalid_check_code")["detail"]
    # nothing was written by any check, the throttle's count aside
    assert await scalar(demo_engine, "SELECT count(*) FROM throttle WHERE scope = 'check_code'")


async def test_a_consistent_rewrite_makes_the_old_printed_code_fail(
    client: Client, demo_engine: AsyncEngine, db_kind: db.Dialect
) -> None:
    await give_lines(demo_engine, SUBJECT, 6)
    before = await printable(client, lines=4)
    printed = [(p["last_line"], p["check_code"]) for p in before["pages"]]
    for line, code in printed:
        assert (await check(client, SUBJECT, line, code))["matches"] is True
    subject = await scalar(
        demo_engine, "SELECT id FROM ledger_account WHERE owner_ref = :o", o=f"volunteer:{SUBJECT}"
    )
    first = (await statement_lines(client, SUBJECT))[0]
    await rewrite_history(demo_engine, db_kind, first["entry_id"], subject, 50)
    assert (await verify(client))["ok"] is True  # plain verify sees nothing

    for line, code in printed:
        answer = await check(client, SUBJECT, line, code)
        assert answer["matches"] is False, (line, code)
        assert "community office" in answer["message"]
    after = await printable(client, lines=4)
    assert [p["last_line"] for p in after["pages"]] == [line for line, _ in printed]
    assert all(
        new["check_code"] != old for new, (_, old) in zip(after["pages"], printed, strict=True)
    )
    for page in after["pages"]:  # the rewritten books give their own, new codes
        assert (await check(client, SUBJECT, page["last_line"], page["check_code"]))["matches"]


async def test_pages_carry_their_balances_and_are_fixed_by_line(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await give_lines(demo_engine, SUBJECT, 25)
    lines = await statement_lines(client, SUBJECT)
    book = await printable(client, lines=12)
    pages = book["pages"]
    assert len(pages) == book["pages_total"] == -(-len(lines) // 12) >= 3
    assert pages[0]["carried"] == 0
    seen: list[int] = []
    for page, following in itertools.pairwise(pages):
        assert following["carried"] == page["balance"] == page["lines"][-1]["balance"]
        first = following["lines"][0]
        assert first["balance"] == following["carried"] + (first["deposit"] or 0) - (
            first["withdrawal"] or 0
        )
    for page in pages:
        assert page["of"] == len(pages)
        running = page["carried"]
        for line in page["lines"]:
            assert (line["deposit"] is None) != (line["withdrawal"] is None)
            running += (line["deposit"] or 0) - (line["withdrawal"] or 0)
            assert line["balance"] == running
            seen.append(line["line"])
        assert page["last_line"] == page["lines"][-1]["line"]
        assert page["full"] is (len(page["lines"]) == 12)
    assert seen == [line["line"] for line in lines] == list(range(1, len(lines) + 1))
    assert [p["full"] for p in pages[:-1]] == [True] * (len(pages) - 1)
    assert pages[-1]["balance"] == lines[-1]["balance"]

    # page 2 alone is page 2 of the whole: same lines, same carried balance, same code
    alone = (await printable(client, lines=12, first_page=2, last_page=2))["pages"]
    assert alone == [pages[1]]
    # A4 page k ends where A5 page 2k does, with the same code
    a4 = (await printable(client, lines=24))["pages"]
    assert a4[0]["check_code"] == pages[1]["check_code"]
    assert a4[0]["carried"] == 0
    assert a4[1]["carried"] == pages[1]["balance"]
    # kinds in words, in the asked language; dates are the days in China Standard Time
    zh = (await printable(client, lines=12, headers={**ADMIN, **ZH}))["pages"][0]["lines"][0]
    en = pages[0]["lines"][0]
    assert (en["kind"], en["kind_words"]) == ("opening", "Carried over from the paper passbook")
    assert zh["kind_words"] == "纸质存折结转"
    recorded = datetime.fromisoformat(en["recorded_at"])
    assert en["date"] == recorded.astimezone(scheme_time.SCHEME_TZ).date().isoformat()

    beyond = await client.get(printable_url(SUBJECT, 12, first_page=99), headers=ADMIN)
    assert "no page 99" in assert_problem(beyond, 422, "invalid_request")["detail"]
    for bad in (3, 61):
        assert_problem(await client.get(printable_url(SUBJECT, bad), headers=ADMIN), 422)


async def test_a_new_line_leaves_printed_full_pages_as_they_were(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await give_lines(demo_engine, SUBJECT, 4)
    before = (await printable(client, lines=4))["pages"]
    await move_points(demo_engine, SUBJECT, 7, memo="after printing")
    after = (await printable(client, lines=4))["pages"]
    full = [page for page in before if page["full"]]
    assert full
    assert after[: len(full)] == full
    for page in before:  # a partial page printed earlier still checks for its own last line
        assert (await check(client, SUBJECT, page["last_line"], page["check_code"]))["matches"]


async def test_guessing_is_throttled_per_address(client: Client, demo_engine: AsyncEngine) -> None:
    page = (await printable(client, lines=4))["pages"][0]
    line, code = page["last_line"], page["check_code"]
    tx = db.Transactions(demo_engine)
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)

    async def guess(address: str, typed: str, at: datetime = now) -> services.PageCheck:
        return await tx.write(
            services.check_printed_page, address=address, number=SUBJECT, seq=line, code=typed,
            now=at,
        )  # fmt: skip

    for _ in range(5):  # right codes are not counted
        assert (await guess("10.0.0.1", code)).matches
    wrong = other_code(code)
    for _ in range(10):
        assert not (await guess("10.0.0.1", wrong)).matches
    for typed in (wrong, code):  # paused: not even the right code is compared
        with pytest.raises(community.TooManyCheckCodes) as paused:
            await guess("10.0.0.1", typed, now + timedelta(minutes=3))
        assert paused.value.retry_after == 7 * 60
    assert (await guess("10.0.0.2", code)).matches  # another address is not paused
    assert (await guess("10.0.0.1", code, now + timedelta(minutes=10))).matches  # window over

    # through the API: the test client's one address, 429 with Retry-After, in Chinese
    for _ in range(10):
        assert not (await check(client, SUBJECT, line, wrong))["matches"]
    refused = await client.post(
        CHECK, json={"number": SUBJECT, "sequence": line, "code": code}, headers=ZH
    )
    body = assert_problem(refused, 429, "too_many_check_codes")
    assert int(refused.headers["retry-after"]) == body["retry_after"] > 0
    assert "分钟" in body["detail"]


async def test_who_may_print_a_passbook(client: Client, demo_engine: AsyncEngine) -> None:
    grid_admin, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    other_grid_admin, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    own = await printable(client, headers=VOLUNTEER)
    for allowed in (ADMIN, AUDITOR, COUNCIL_G1, bearer(grid_admin)):
        assert (await printable(client, headers=allowed))["pages"] == own["pages"]
    assert_problem(await client.get(printable_url(OTHER), headers=VOLUNTEER), 403)
    assert_problem(await client.get(printable_url(SUBJECT), headers=bearer(other_grid_admin)), 403)
    assert_problem(await client.get(printable_url(SUBJECT)), 401)
