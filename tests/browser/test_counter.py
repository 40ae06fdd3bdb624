"""The counter (/scan) in the browser: a cashier's till takes a code as a USB scanner types it
(keystrokes, then Enter), shows one verdict, hands over once, and never decides without an
answer from the service."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from playwright.sync_api import BrowserContext, Page, Route

from tests.browser import (
    LiveService,
    axe,
    check_focus_visible,
    check_volunteer_sizes,
    scan,
    screenshots,
)
from tests.browser.conftest import Watch

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
MARKET_TOKEN = "pb_demo_merchant_market"


def as_counter(context: BrowserContext, live_service: LiveService) -> None:
    """The till's browser signed in as the demo supermarket's scanner."""
    context.add_cookies(
        [{"name": "passbook_session", "value": MARKET_TOKEN, "url": live_service.url}]
    )


def voucher(page: Page, reward: str = "vegetables", passbook: str = "YZS1-0002") -> str:
    """A fresh voucher's code, redeemed through the API by the grid's admin for ``passbook``."""
    code: str = issued(page, reward, passbook)["code"]
    return code


def issued(page: Page, reward: str, passbook: str) -> dict[str, Any]:
    """A fresh voucher as the API answers it."""
    answer = page.request.post(
        f"/api/rewards/{reward}/redemptions",
        headers={**ADMIN, "Idempotency-Key": f"counter-test-{uuid.uuid4()}"},
        data={"quantity": 1, "passbook": passbook},
    )
    assert answer.ok, answer.text()
    found: dict[str, Any] = answer.json()["vouchers"][0]
    return found


def consumptions(page: Page, code: str) -> int:
    """How many times the books settled this voucher (the supermarket's settlement)."""
    answer = page.request.get(
        "/api/merchants/market/settlement", headers={"Authorization": f"Bearer {MARKET_TOKEN}"}
    )
    assert answer.ok, answer.text()
    lines: list[dict[str, Any]] = answer.json()["lines"]
    return sum(1 for line in lines if line["voucher"] == code)


def band(page: Page) -> Any:
    return page.locator("#verdict-area .verdict")


def test_a_cashier_scans_hands_over_and_a_second_scan_is_red(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    code = voucher(page)
    as_counter(context, live_service)
    page.goto("/scan")
    page.get_by_text("请扫码").wait_for()
    axe(page)
    check_volunteer_sizes(page, volunteer=False)
    check_focus_visible(page)
    screenshots(page, "counter-ready")

    page.locator("body").click(
        position={"x": 5, "y": 5}
    )  # focus elsewhere: the scanner still works
    scan(page, code.replace("-", "").lower())
    page.get_by_role("heading", name="可以兑换").wait_for()
    assert band(page).get_attribute("data-tone") == "yes"
    assert re.search(r"持券人\n\S\*+\S?\n", band(page).inner_text())  # the name masked
    assert page.locator("#counter").get_attribute("data-last-sound") == "yes"
    axe(page)
    check_volunteer_sizes(page, volunteer=False)
    screenshots(page, "counter-green")

    page.get_by_role("button", name="交付（核销）").click()
    page.locator('.verdict[data-verdict="done"]').wait_for()
    page.get_by_text(re.compile(r"今天：已交付 [1-9]")).wait_for()
    screenshots(page, "counter-handed-over")

    scan(page, code)
    page.get_by_role("heading", name="已使用").wait_for()
    text = band(page).inner_text()
    assert "北京时间" in text
    assert page.locator("#counter").get_attribute("data-last-sound") == "no"
    assert band(page).locator(".consume-form").count() == 0
    axe(page)
    screenshots(page, "counter-red-used")
    assert consumptions(page, code) == 1


def test_a_consume_whose_answer_is_lost_is_retried_with_the_same_key_and_done_once(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    code = voucher(page, passbook="YZS1-0003")
    as_counter(context, live_service)
    keys: list[str] = []

    def drop_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the consume reaches the service and is done ...
            route.abort("connectionreset")  # ... but its answer never reaches the page
        else:
            route.continue_()

    page.route("**/scan/consume", drop_first_answer)
    page.goto("/scan")
    scan(page, code)
    page.get_by_role("button", name="交付（核销）").click()
    page.locator('.verdict[data-verdict="done"]').wait_for()
    assert len(keys) == 2
    assert keys[0]
    assert keys[0] == keys[1]
    assert "只核销了一次" in band(page).inner_text()
    assert consumptions(page, code) == 1


def test_another_merchants_voucher_is_red(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    code = voucher(page, reward="car-wash", passbook="YZS1-0004")
    as_counter(context, live_service)
    page.goto("/scan")
    scan(page, code)
    page.get_by_role("heading", name="不是本店的兑换券").wait_for()
    assert band(page).get_attribute("data-tone") == "no"
    assert band(page).locator(".consume-form").count() == 0
    axe(page)
    screenshots(page, "counter-red-not-ours")


def test_no_answer_to_verify_is_grey_do_not_hand_over(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    code = voucher(page, passbook="YZS1-0005")
    as_counter(context, live_service)
    page.goto("/scan")
    page.route("**/scan/verify", lambda route: route.abort("internetdisconnected"))
    scan(page, code)
    page.get_by_role("heading", name="无法核验，请勿交付").wait_for()
    assert band(page).get_attribute("data-tone") == "off"
    assert band(page).locator(".consume-form").count() == 0
    axe(page)
    screenshots(page, "counter-grey")
    page.unroute("**/scan/verify")
    page.route("**/scan/verify", lambda route: route.fulfill(status=502, body="bad gateway"))
    scan(page, code)
    page.get_by_role("heading", name="无法核验，请勿交付").wait_for()


def test_the_settlement_page_and_its_downloads(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    as_counter(context, live_service)
    page.goto("/scan")
    page.get_by_role("link", name="本月结算").click()
    page.get_by_role("heading", name=re.compile("结算")).first.wait_for()
    axe(page)
    check_volunteer_sizes(page, volunteer=False)
    screenshots(page, "counter-settlement")
    page.emulate_media(media="print")  # the printed page: the table, without the site's header
    assert not page.locator("header.site").is_visible()
    assert not page.get_by_role("link", name="下载 CSV").is_visible()
    assert page.locator(".settlement-table").first.is_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as csv:
        page.get_by_role("link", name="下载 CSV").click()
    assert csv.value.suggested_filename.endswith(".csv")
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="下载 Excel（.xlsx）").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    with open(xlsx.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"


def test_the_counter_in_english_and_the_camera_says_why_it_cannot(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    code = voucher(page, passbook="YZS1-0006")
    as_counter(context, live_service)
    page.goto("/lang/en?next=/scan")
    page.get_by_text("Ready to scan").wait_for()
    scan(page, code)
    page.get_by_role("heading", name="Can be exchanged").wait_for()
    axe(page)
    screenshots(page, "counter-green-en")
    page.get_by_role("button", name="Scan with the camera").click()
    status = page.locator("#camera-status")
    status.filter(has_text="camera").wait_for()
    assert "scanner" in status.inner_text()
    # the typed path stays first: the next scan still lands in the input
    scan(page, code)
    page.get_by_role("heading", name="Can be exchanged").wait_for()


def test_the_camera_path_reads_a_voucher_qr_with_the_vendored_reader_under_the_pages_csp(
    context: BrowserContext, page: Page, live_service: LiveService, watch: Watch
) -> None:
    found = issued(page, "vegetables", "YZS1-0002")
    picture = page.request.get(f"/api/vouchers/{found['id']}/qr?format=png", headers=ADMIN)
    assert picture.ok, picture.text()
    src = "data:image/png;base64," + base64.b64encode(picture.body()).decode()
    as_counter(context, live_service)
    page.goto("/scan")
    page.get_by_text("请扫码").wait_for()
    read = page.evaluate(
        """async (src) => {
            const img = new Image();
            img.src = src;
            await img.decode();
            const read = await window.counterQrReader();
            return await read(img);
        }""",
        src,
    )
    assert read == found["code"].replace("-", "")
    # no BarcodeDetector on desktop Linux: the vendored library and its worker file, from here
    assert any("qr-scanner.umd.min.js" in url for url in watch.requests)
    assert any("qr-scanner-worker.js" in url for url in watch.requests)
