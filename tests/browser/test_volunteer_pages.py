"""The volunteer pages in a real browser, as a volunteer and a grid worker use them: sign in
with the PIN, read the passbook, redeem a reward through its confirmation, show the voucher
full screen (QR code and bar code drawn), cancel another voucher; a staff session acting for a
volunteer redeems, and the books name the staff member. axe and the size rules on every page,
screenshots at both sizes, Chinese and English."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import axe, check_volunteer_sizes, screenshots
from tests.browser.live import LiveService

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
PIN = "4826"


def _set_pin(page: Page, number: str) -> None:
    answer = page.request.put(f"/api/volunteers/{number}/pin", data={"pin": PIN}, headers=ADMIN)
    assert answer.status == 200, answer.text()


def _sign_in(page: Page, number: str) -> None:
    _set_pin(page, number)
    page.goto("/signin")
    page.get_by_label("存折号").fill(number)
    page.get_by_label("密码").fill(PIN)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def _checked(page: Page, name: str, *, balance: bool = False) -> None:
    axe(page)
    check_volunteer_sizes(page, expect_balance=balance)
    screenshots(page, name)


def _available(page: Page, number: str) -> int:
    value: int = page.request.get(f"/api/passbooks/{number}", headers=ADMIN).json()["available"]
    return value


def _vouchers(page: Page, number: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = page.request.get(
        f"/api/passbooks/{number}/vouchers", headers=ADMIN
    ).json()["vouchers"]
    return found


def test_a_volunteer_reads_the_passbook_redeems_shows_and_cancels(page: Page) -> None:
    number = "YZS2-0001"  # 张桂英, 200 points carried over
    _sign_in(page, number)
    page.get_by_role("link", name="我的存折").click()
    expect(page.get_by_role("heading", name="第 1 页，共 1 页")).to_be_visible()
    expect(page.get_by_role("cell", name="+200")).to_be_visible()
    _checked(page, "volunteer-passbook", balance=True)

    page.goto("/")
    page.get_by_role("link", name="兑换奖品").click()
    expect(page.get_by_role("heading", name="现在可以兑换")).to_be_visible()
    _checked(page, "volunteer-rewards", balance=True)
    page.get_by_role("link", name="抽纸（一提）").click()
    _checked(page, "volunteer-reward")
    page.get_by_role("link", name="兑换这件奖品").click()
    expect(page.get_by_role("heading", name="确认用 10 分兑换 抽纸（一提）？")).to_be_visible()
    _checked(page, "volunteer-reward-confirm")
    before = _available(page, number)
    page.get_by_role("button", name="确认兑换").dblclick()  # an anxious double click
    expect(page.get_by_text("兑换成功")).to_be_visible()
    assert _available(page, number) == before - 10
    assert len(_vouchers(page, number)) == 1
    _checked(page, "volunteer-voucher")

    page.get_by_role("link", name="出示给店员").click()
    qr = page.get_by_role("img", name="兑换券二维码")
    bars = page.get_by_role("img", name="兑换券条形码")
    expect(qr).to_be_visible()
    expect(bars).to_be_visible()
    qr_box, bars_box = qr.bounding_box(), bars.bounding_box()
    assert qr_box is not None
    assert bars_box is not None
    assert qr_box["width"] >= 200  # large enough for a phone camera at the counter
    assert bars_box["x"] + bars_box["width"] <= 360  # the whole bar code on the screen
    expect(page.get_by_text("张*英")).to_be_visible()
    expect(page.locator("header.site")).to_have_count(0)
    _checked(page, "volunteer-voucher-show")

    # Another voucher, cancelled: the confirmation says the points come back.
    page.goto("/rewards/vegetables/confirm")
    page.get_by_role("button", name="确认兑换").click()
    expect(page.get_by_text("兑换成功")).to_be_visible()
    page.get_by_role("link", name="取消这张兑换券").click()
    expect(page.get_by_text("8 分积分会马上退回存折")).to_be_visible()
    _checked(page, "volunteer-voucher-cancel")
    page.get_by_role("button", name="确认取消").click()
    expect(page.get_by_text("8 分已退回存折")).to_be_visible()
    assert _available(page, number) == before - 10
    page.get_by_role("link", name="返回我的兑换券").click()
    expect(page.locator(".voucher-item").first).to_contain_text("未使用")
    expect(page.locator(".voucher-item").last).to_contain_text("已取消")
    _checked(page, "volunteer-vouchers")


def test_the_pages_read_in_english_too(page: Page) -> None:
    _sign_in(page, "YZS4-0001")
    page.get_by_role("link", name="English").click()
    page.goto("/passbook")
    expect(page.get_by_role("columnheader", name="Balance")).to_be_attached()
    expect(page.get_by_role("heading", name="Page 1 of 1")).to_be_visible()
    _checked(page, "volunteer-passbook-en", balance=True)
    page.goto("/rewards")
    expect(page.get_by_role("heading", name="You can exchange these now")).to_be_visible()
    _checked(page, "volunteer-rewards-en", balance=True)
    page.goto("/vouchers")
    expect(page.get_by_role("heading", name="My vouchers")).to_be_visible()
    _checked(page, "volunteer-vouchers-en")


def test_staff_acting_for_a_volunteer_redeem_and_the_books_name_them(
    context: BrowserContext, page: Page, live_service: LiveService
) -> None:
    number = "YZS3-0001"  # 刘德明, who has no phone
    context.add_cookies(
        [
            {"name": "passbook_session", "value": "pb_demo_admin", "url": live_service.url},
            {"name": "passbook_acting_for", "value": number, "url": live_service.url},
        ]
    )
    page.goto("/rewards")
    band = page.get_by_text("正在代 刘德明（YZS3-0001）操作")
    expect(band).to_be_visible()
    page.get_by_role("link", name="抽纸（一提）").click()
    expect(band).to_be_visible()
    page.get_by_role("link", name="兑换这件奖品").click()
    page.get_by_role("button", name="确认兑换").click()
    expect(page.get_by_text("兑换成功")).to_be_visible()
    expect(band).to_be_visible()
    expect(page.get_by_text("燕山街道演示管理员（代本人办理）")).to_be_visible()
    _checked(page, "staff-acting-voucher")
    (voucher,) = _vouchers(page, number)
    redemption = page.request.get(
        f"/api/redemptions/{voucher['redemption_id']}", headers=ADMIN
    ).json()
    assert redemption["recorded_by"].startswith("admin:燕山街道演示管理员")
    page.goto("/passbook")
    expect(band).to_be_visible()
    _checked(page, "staff-acting-passbook", balance=True)
