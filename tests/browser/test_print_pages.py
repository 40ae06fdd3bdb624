"""The printed passbook and the check of a printed page, in the browser.

A grid worker (an admin session) opens a volunteer's print page: the pages, their numbers and
the balances carried from page to page are the books'; printed (print media, a PDF) each page
of the passbook is one sheet of paper. A check code read from the page, typed on /check,
matches; the same code with one character changed does not; a volunteer cannot open another
volunteer's print page. Both pages pass axe-core, are held to their sizes (the print page is
staff's, 44 px; /check is used by volunteers, 60 px) and are photographed, in Chinese and
once in English.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

import community
import db
import ledger
from tests.browser import LiveService, axe, check_volunteer_sizes, screenshots
from tests.browser.helpers import SCREENSHOTS

NUMBER = "YZS1-0901"  # a volunteer of grid yzs-g1 made for these tests
HOLDER = "钱小梅"
AMOUNTS = [5 if i % 4 == 0 else (-2 if i % 4 == 3 else 3) for i in range(30)]
"""30 lines: A5 (12 a page) prints 3 pages, A4 (24 a page) 2."""


def _after(lines: int) -> int:
    return sum(AMOUNTS[:lines])


async def _give_lines(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:

        async def register(conn: db.Connection) -> None:
            await community.register_volunteer(
                conn, passbook_number=NUMBER, name=HOLDER, grid_code="yzs-g1"
            )

        await db.run_in_transaction(engine, register)
        for index, points in enumerate(AMOUNTS):

            async def post(conn: db.Connection, index: int = index, points: int = points) -> None:
                passbook = await community.find_passbook(conn, NUMBER)
                grid = await community.find_org_unit(conn, "yzs-g1")
                assert passbook is not None
                assert grid is not None
                assert grid.issuance_account_id is not None
                await ledger.post_entry(
                    conn,
                    idempotency_key=f"print-pages-test:{index}",
                    kind="adjustment",
                    legs=[
                        ledger.Leg(grid.issuance_account_id, -points),
                        ledger.Leg(passbook.account_id, points),
                    ],
                    actor="browser-tests",
                    memo=f"打印测试第 {index + 1} 笔",
                    effective_date=date(2026, 11, 1),
                )

            await db.run_in_transaction(engine, post)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def printed_volunteer(live_service: LiveService) -> str:
    """A volunteer with 30 lines, written straight into the service's database (in a thread
    of its own: Playwright's loop holds this one)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _give_lines(live_service.database_url)).result()
    return NUMBER


def _sign_in_with_token(context: BrowserContext, live_service: LiveService, token: str) -> None:
    context.add_cookies([{"name": "passbook_session", "value": token, "url": live_service.url}])


def _carried(page: Page) -> list[int]:
    return [int(text) for text in page.locator("[data-role=carried]").all_inner_texts()]


def _codes(page: Page) -> list[tuple[int, str]]:
    codes = page.locator("[data-role=check-code]")
    return [
        (int(codes.nth(i).get_attribute("data-line") or "0"), codes.nth(i).inner_text())
        for i in range(codes.count())
    ]


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _check(page: Page, number: str, line: int, code: str) -> None:
    page.goto("/check")
    page.locator("#number").fill(number)
    page.locator("#sequence").fill(str(line))
    page.locator("#code").fill(code)
    page.locator("#code").press("Enter")
    page.locator("[data-verdict]").wait_for()


def _changed(code: str) -> str:
    last = ledger.CHECK_CODE_ALPHABET.index(code[-1])
    return code[:-1] + ledger.CHECK_CODE_ALPHABET[(last + 1) % 32]


def test_a_grid_worker_prints_a_passbook_and_its_code_checks(
    page: Page, context: BrowserContext, live_service: LiveService, printed_volunteer: str
) -> None:
    _sign_in_with_token(context, live_service, "pb_demo_admin")
    answer = page.goto(f"/passbooks/{printed_volunteer}/print")
    assert answer is not None
    assert answer.status == 200
    sheets = page.locator("section.sheet")
    assert sheets.count() == 3
    assert page.locator(".sheet-page").all_inner_texts() == [
        "第 1 页，共 3 页",
        "第 2 页，共 3 页",
        "第 3 页，共 3 页",
    ]
    assert _carried(page) == [0, _after(12), _after(24)]
    last_balances = [
        int(sheets.nth(i).locator("tbody tr:last-child td:last-child").inner_text())
        for i in range(3)
    ]
    assert last_balances == [_after(12), _after(24), _after(30)]
    assert HOLDER in page.locator("section.sheet h2").first.inner_text()
    assert page.locator(".sheet-who").all_inner_texts() == [f"存折 {NUMBER} · 燕子山第一网格"] * 3
    a5_codes = _codes(page)
    assert [line for line, _ in a5_codes] == [12, 24, 30]
    assert page.get_by_role("button", name="打印").is_visible()  # scripts run: the button
    assert page.get_by_text(f"{live_service.url}/check").count() >= 3  # where to check
    axe(page)
    check_volunteer_sizes(page, volunteer=False)
    screenshots(page, "print-a5")

    page.emulate_media(media="print")
    assert not page.locator(".print-controls").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    Path(SCREENSHOTS / "print-a5.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == 3  # one sheet of paper per passbook page
    page.emulate_media(media="screen")

    page.goto(f"/passbooks/{printed_volunteer}/print?size=a4")
    assert page.locator("section.sheet").count() == 2
    assert _carried(page) == [0, _after(24)]
    a4_codes = _codes(page)
    assert a4_codes[0] == a5_codes[1]  # A4 page 1 ends where A5 page 2 does: the same code
    page.emulate_media(media="print")
    assert _pdf_pages(page.pdf(prefer_css_page_size=True)) == 2
    page.emulate_media(media="screen")

    line, code = a5_codes[0]
    page.get_by_role("link", name="核对打印页").click()
    page.locator("#number").wait_for()
    assert page.locator("#number").input_value() == printed_volunteer
    page.locator("#sequence").fill(str(line))
    page.locator("#code").fill(code)
    page.get_by_role("button", name="核验", exact=True).click()
    page.locator("[data-verdict=matches]").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "这一页与账本一致"
    axe(page)
    check_volunteer_sizes(page)
    screenshots(page, "check-matches")

    _check(page, printed_volunteer, line, _changed(code))
    assert page.locator("[data-verdict=differs]").count() == 1
    assert page.get_by_role("heading", level=1).inner_text() == "与账本不一致：请到社区核对"
    axe(page)
    check_volunteer_sizes(page)
    screenshots(page, "check-differs")


def test_the_check_page_refuses_what_is_not_a_code_in_words(page: Page) -> None:
    page.goto("/signin")
    page.get_by_role("link", name="核对打印的存折页").click()
    page.locator("#number").wait_for()
    axe(page)
    check_volunteer_sizes(page)
    screenshots(page, "check")
    page.locator("#number").fill("YZS1-0001")
    page.locator("#sequence").fill("1")
    page.locator("#code").fill("12")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.locator("#code").press("Enter")
    assert sent.value.status == 422
    refusal = page.locator(".message-refusal")
    assert refusal.is_visible()
    assert "7K3M-Q9PX" in refusal.inner_text()  # says what a code looks like
    assert page.locator("#code").input_value() == "12"  # kept as typed
    axe(page)


def test_the_pages_in_english(
    page: Page, context: BrowserContext, live_service: LiveService, printed_volunteer: str
) -> None:
    page.goto("/lang/en?next=/check")
    _sign_in_with_token(context, live_service, "pb_demo_admin")
    page.goto(f"/passbooks/{printed_volunteer}/print")
    assert page.locator(".sheet-page").first.inner_text() == "Page 1 of 3"
    line, code = _codes(page)[-1]
    axe(page)
    screenshots(page, "print-a5-en")
    _check(page, printed_volunteer.lower(), line, code.lower().replace("-", " "))
    assert page.get_by_role("heading", level=1).inner_text() == "This page matches the books"
    axe(page)
    screenshots(page, "check-matches-en")


def test_a_volunteer_cannot_open_another_volunteers_print_page(
    page: Page, context: BrowserContext, live_service: LiveService
) -> None:
    _sign_in_with_token(context, live_service, "pb_demo_volunteer")  # 王秀兰, YZS1-0001
    own = page.goto("/passbooks/YZS1-0001/print")
    assert own is not None
    assert own.status == 200
    assert page.locator("section.sheet").count() >= 1
    other = page.goto("/passbooks/YZS1-0002/print")
    assert other is not None
    assert other.status == 403
    assert page.locator("section.sheet").count() == 0
    assert "李建国" not in page.content()
