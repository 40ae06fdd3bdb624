"""Staff pages in a real browser: a grid worker signs in with a one-time code (typed, and by
the link's button), finds a volunteer, acts for them, applies to a ballot for them (the books
record the staff member), stops; the volunteer withdraws on their own phone. axe on every
page, sizes (60 px on volunteer pages, 44 px on staff pages), screenshots, both languages."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from playwright.sync_api import APIRequestContext, Page, expect

from tests.browser.accessibility import axe
from tests.browser.helpers import screenshots
from tests.browser.live import LiveService
from tests.browser.sizes import check_volunteer_sizes

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
GRID = "yzs-g1"
NUMBER = "YZS1-0002"  # 李建国, of grid 1; the demo volunteer YZS1-0001 is left to other tests
NAME = "李建国"
PIN = "4826"
CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def open_ballot(api: APIRequestContext) -> str:
    """A ballot reward of the whole street and an open ballot for it (unique to this test):
    its code."""
    tag = secrets.token_hex(3)
    reward = {
        "code": f"place-{tag}",
        "name": f"托育名额 {tag}",
        "kind": "place",
        "merchant": "kindergarten",
        "allocation": "ballot",
        "cost_points": 20,
        "stock_total": 2,
        "per_volunteer_limit": 1,
        "limit_period": "ever",
    }
    made = api.post("/api/rewards", data=reward, headers=ADMIN)
    assert made.status == 201, made.text()
    code = f"ballot-{tag}"
    ballot = {
        "code": code,
        "reward": reward["code"],
        "rule": "points_rank",
        "places": 1,
        "closes_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        "claim_days": 7,
    }
    opened = api.post("/api/ballots", data=ballot, headers=ADMIN)
    assert opened.status == 201, opened.text()
    return code


def staff_page(page: Page, name: str) -> None:
    axe(page)
    check_volunteer_sizes(page, volunteer=False)
    screenshots(page, name)


def volunteer_page(page: Page, name: str) -> None:
    axe(page)
    check_volunteer_sizes(page)
    screenshots(page, name)


def test_a_grid_worker_signs_in_with_a_code_and_applies_for_a_volunteer(
    page: Page, live_service: LiveService
) -> None:
    ballot = open_ballot(page.request)
    issued = live_service.passbook(
        "signin-code", "create", "--role", "admin", "--scope", GRID, "--label", "网格员小周"
    )
    found = CODE.search(issued.stdout)
    assert found, issued.stdout
    code = found.group(0)

    page.goto("/signin")
    page.get_by_role("link", name="工作人员用登录码登录").click()
    expect(page).to_have_url(re.compile(r"/signin/code$"))
    expect(page.get_by_text("输入法切换到英文")).to_be_visible()
    staff_page(page, "signin-code")
    page.get_by_label("登录码").focus()
    page.keyboard.type(code.lower())  # typed as a person might, lower case and all
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/volunteers$"))  # no one chosen yet
    expect(page.get_by_text("已登录：网格员小周")).to_be_visible()
    page.get_by_label("存折号或姓名").fill(NAME)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", name=re.compile(NAME))).to_be_visible()
    expect(page.get_by_role("link", name=f"打印{NAME}的存折")).to_have_attribute(
        "href", f"/passbooks/{NUMBER}/print"
    )
    staff_page(page, "volunteers")
    page.get_by_role("button", name=f"代{NAME}办理").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text(f"正在代 {NAME}（{NUMBER}）操作")).to_be_visible()
    page.goto("/ballots")
    volunteer_page(page, "ballots")
    item = page.get_by_role("listitem").filter(has=page.get_by_text(f"托育名额 {ballot[7:]}"))
    item.get_by_role("link", name="查看并申请").click()
    expect(page).to_have_url(re.compile(rf"/ballots/{ballot}$"))
    volunteer_page(page, "ballot")
    page.get_by_role("link", name="申请").click()
    expect(page.get_by_role("heading", name=re.compile("确定申请摇号"))).to_be_visible()
    volunteer_page(page, "ballot-apply")
    page.get_by_role("button", name="确定申请").click()
    expect(page.get_by_text("已提交申请")).to_be_visible()

    recorded = page.request.get(f"/api/ballots/{ballot}/applications/{NUMBER}", headers=ADMIN)
    assert recorded.status == 200, recorded.text()
    application = recorded.json()
    assert application["status"] == "applied"
    assert application["recorded_by"].startswith("admin:网格员小周")
    expect(page.get_by_text(f"票号：{application['pseudonym']}")).to_be_visible()

    page.get_by_role("button", name="结束代办").click()
    expect(page).to_have_url(re.compile(r"/volunteers$"))
    expect(page.get_by_text("您正在代存折")).to_have_count(0)

    # Signed out, the same code does not work again.
    page.get_by_role("button", name="退出登录").click()
    page.goto("/signin/code")
    page.get_by_label("登录码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("这个登录码不能用")
    staff_page(page, "signin-code-refused")


def test_the_link_signs_in_in_english_and_the_volunteer_withdraws(
    page: Page, live_service: LiveService
) -> None:
    ballot = open_ballot(page.request)
    made = page.request.post(
        "/api/sign-in-codes",
        data={"role": "admin", "scope": GRID, "label": "grid worker Zhou"},
        headers=ADMIN,
    )
    assert made.status == 201, made.text()
    link = made.json()["link_path"]
    applied = page.request.post(
        f"/api/ballots/{ballot}/applications",
        data={"passbook": NUMBER},
        headers={**ADMIN, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert applied.status == 201, applied.text()

    page.goto(f"/lang/en?next={link}")
    expect(page.get_by_role("button", name="Sign in on this device")).to_be_visible()
    staff_page(page, "signin-code-link")
    page.get_by_role("button", name="Sign in on this device").click()
    expect(page).to_have_url(re.compile(r"/volunteers$"))
    expect(page.get_by_role("heading", name="Act for a volunteer")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # The volunteer, on their own phone: a PIN from the office, then the ballot.
    pin = page.request.put(f"/api/volunteers/{NUMBER}/pin", data={"pin": PIN}, headers=ADMIN)
    assert pin.status == 200, pin.text()
    page.goto("/signin")
    page.get_by_label("Passbook number").fill(NUMBER)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/ballots")
    item = page.get_by_role("listitem").filter(has=page.get_by_text(f"托育名额 {ballot[7:]}"))
    item.get_by_role("link", name="See the application").click()
    page.get_by_role("link", name="Withdraw the application").click()
    expect(
        page.get_by_role("heading", name=re.compile("Withdraw the application to"))
    ).to_be_visible()
    volunteer_page(page, "ballot-withdraw-en")
    page.get_by_role("button", name="Yes, withdraw").click()
    expect(page.get_by_text("The application is withdrawn")).to_be_visible()
    volunteer_page(page, "ballot-withdrawn-en")
    status = page.request.get(f"/api/ballots/{ballot}/applications/{NUMBER}", headers=ADMIN)
    assert status.json()["status"] == "withdrawn"


def test_the_drawn_demo_ballot_shows_its_public_draw(page: Page) -> None:
    pin = page.request.put(f"/api/volunteers/{NUMBER}/pin", data={"pin": PIN}, headers=ADMIN)
    assert pin.status == 200, pin.text()
    page.goto("/signin")
    page.get_by_label("存折号").fill(NUMBER)
    page.get_by_label("密码").fill(PIN)
    page.get_by_role("button", name="登录").click()
    page.goto("/ballots/kindergarten-2027-spring")
    public = page.request.get("/api/public/ballots/kindergarten-2027-spring").json()
    expect(page.get_by_text(public["seed"])).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(public["applicants"][0]["pseudonym"])
    expect(page.get_by_role("link", name=re.compile("本次摇号的公开数据"))).to_have_attribute(
        "href", "/api/public/ballots/kindergarten-2027-spring"
    )
    volunteer_page(page, "ballot-drawn")
