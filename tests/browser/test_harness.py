"""The harness itself: the real service on this run's database, the browser held to
127.0.0.1, and Chinese text drawn with a Chinese font."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import Watch
from tests.browser.live import HOST, LiveService


def test_the_service_runs_on_this_runs_database_with_the_demo(
    live_service: LiveService, page: Page
) -> None:
    kind = "postgresql" if os.environ.get("PASSBOOK_TEST_DATABASE_URL") else "sqlite"
    assert live_service.database_url.startswith(kind)
    assert urlsplit(live_service.url).hostname == HOST
    health = page.goto("/health")
    assert health is not None
    assert health.status == 200
    # the demo data is there: the demo admin's token reads the demo volunteer's passbook
    answer = page.request.get(
        "/api/passbooks/YZS1-0001", headers={"Authorization": "Bearer pb_demo_admin"}
    )
    assert answer.status == 200, answer.text()
    assert answer.json()["number"] == "YZS1-0001"


def test_a_page_load_asks_no_other_host(page: Page, watch: Watch) -> None:
    with page.expect_response("**/schema/openapi.json"):  # the page's last request
        page.goto("/schema")
    page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).hostname for url in watch.requests}
    assert hosts == {HOST}, watch.requests
    assert len(watch.requests) >= 5  # the page, its scripts and styles, the OpenAPI document


def test_a_request_to_another_host_is_refused_and_recorded(page: Page, watch: Watch) -> None:
    outside = ["http://example.com/logo.png", "https://cdn.example.org/lib.js"]
    with page.expect_event("requestfailed") as first, page.expect_event("requestfailed"):
        page.set_content(
            f'<img id="logo" src="{outside[0]}" alt="logo"><script src="{outside[1]}"></script>'
        )
    assert (first.value.failure or "").startswith("net::ERR_BLOCKED_BY_CLIENT")
    assert sorted(watch.blocked) == sorted(outside)
    assert page.evaluate("() => document.getElementById('logo').naturalWidth") == 0
    watch.blocked.clear()  # provoked on purpose; otherwise the test fails at its end


def test_chinese_text_is_drawn_with_a_chinese_font(context: BrowserContext, page: Page) -> None:
    page.set_content('<p id="words" style="font-family: sans-serif">红色存折 积分 兑换券</p>')
    cdp = context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#words"})["nodeId"]
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    families = {font["familyName"] for font in fonts}
    assert any("CJK" in family for family in families), (
        f"Chinese drawn with {families}: install fonts-noto-cjk"
    )
