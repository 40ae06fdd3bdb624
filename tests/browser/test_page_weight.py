"""Page weight: each page's first load, with an empty cache, is at most 100 KB transferred
(images of vouchers aside), and asks nothing of any host but the service on 127.0.0.1.

The bytes are the response bodies as they came over the wire (Playwright's
``request.sizes()["responseBodySize"]``) of every request the load made: the page (and any
redirect on the way), its style sheets, scripts and images. Each path is loaded in a fresh
browser context (no cache, no cookies but the session it needs). Pages another part of the
work adds later are listed too: a path this build answers with 404 is skipped, saying so.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Request

from tests.browser import LiveService
from tests.browser.live import HOST

BUDGET_BYTES = 100 * 1024

PAGES: list[tuple[str, str | None]] = [
    ("/", "pb_demo_volunteer"),
    ("/signin", None),
    ("/check", None),
    ("/passbooks/YZS1-0001/print", "pb_demo_admin"),
    ("/passbooks/YZS1-0001/print?size=a4", "pb_demo_admin"),
    ("/passbook", "pb_demo_volunteer"),
    ("/rewards", "pb_demo_volunteer"),
    ("/vouchers", "pb_demo_volunteer"),
    ("/ballots", "pb_demo_volunteer"),
    ("/volunteers", "pb_demo_admin"),
    ("/signin/code", None),
    ("/scan", "pb_demo_merchant_market"),
]
"""Each page, with the demo token whose session opens it (None: a stranger's page)."""


def _is_voucher_image(request: Request) -> bool:
    return request.resource_type == "image" and "voucher" in request.url


@pytest.mark.parametrize(("path", "token"), PAGES, ids=[path for path, _ in PAGES])
def test_the_first_load_of_a_page_is_small_and_local(
    page: Page, context: BrowserContext, live_service: LiveService, path: str, token: str | None
) -> None:
    if token is not None:
        context.add_cookies([{"name": "passbook_session", "value": token, "url": live_service.url}])
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    answer = page.goto(path, wait_until="load")
    assert answer is not None
    if answer.status == 404:
        pytest.skip(f"{path} answers 404 in this build (its page is not here yet)")
    assert answer.status == 200, f"{path} answered {answer.status}"
    page.wait_for_load_state("networkidle")
    sizes = {
        request.url: request.sizes()["responseBodySize"]
        for request in finished
        if not _is_voucher_image(request)
    }
    total = sum(sizes.values())
    listing = "\n".join(f"  {size:>8} {url}" for url, size in sizes.items())
    assert total <= BUDGET_BYTES, f"{path}: {total} bytes transferred (budget 100 KB):\n{listing}"
    assert total > 0
    hosts = {
        urlsplit(url).hostname
        for url in page.context.pages[0].evaluate(
            "performance.getEntries().map(e => e.name).filter(n => n.startsWith('http'))"
        )
    } | {urlsplit(request.url).hostname for request in finished}
    assert hosts == {HOST}, f"{path} asked other hosts: {hosts - {HOST}}"
