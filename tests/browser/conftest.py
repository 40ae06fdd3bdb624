"""Fixtures of the browser tests: the real service, Debian's Chromium, a fresh context per test.

Invariant: the browser talks to 127.0.0.1 only. Every request to any other host is aborted in
the browser context (and recorded: the test fails at its end if a page tried one), and the
browser's own name lookups are sent nowhere, so nothing a page names from outside can load,
as on a street office's intranet. One service and one browser serve all the browser tests (they are
slow to start; package scope, torn down once the tests under ``tests/browser/`` are done,
because Playwright's sync API keeps an asyncio loop marked running in this thread for as long
as it lives, and the rest of the suite runs its own loops); each test gets a new browser
context (no cookies, storage or routes left by another test). The service runs on this run's database kind: a scratch SQLite file, or a
scratch database on the PostgreSQL server of ``PASSBOOK_TEST_DATABASE_URL``, both copies of
the run's migrated template with the demo data loaded by ``passbook serve --demo``.

Browser tests are plain ``def`` tests (Playwright's sync API), never ``async def``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    WebError,
    sync_playwright,
)
from sqlalchemy.engine import make_url

from tests.browser.live import HOST, LiveService, running_service
from tests.databases import admin as _admin

CHROMIUM = Path("/usr/bin/chromium")
PHONE: ViewportSize = {"width": 360, "height": 800}
TIMEOUT_MS = 30_000  # generous: CI shares two cores with other work
LAUNCH_ARGS = [
    # Name lookups go nowhere: only the literal 127.0.0.1 is reachable (belt and braces
    # beside the context's route, which also covers what the browser asks for itself).
    f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {HOST}",
]


@dataclass
class Watch:
    """What the pages of one test's browser context did: every URL requested, the requests to
    another host that were refused, uncaught script errors and Content-Security-Policy
    refusals. The test fails at its end if ``blocked`` or ``errors`` holds anything; a test
    that provokes one on purpose clears the list after checking it."""

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP: {message.text}")

    def web_error(self, error: WebError) -> None:
        self.errors.append(f"script error: {error.error}")


def _scratch_server() -> str | None:
    return os.environ.get("PASSBOOK_TEST_DATABASE_URL") or None


@pytest.fixture(scope="package")
def live_service(
    template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    """``passbook serve`` on 127.0.0.1 and a free port, on a scratch database with the demo
    data, answering ``/health``; stopped (SIGTERM) and its database removed at the end."""
    folder = tmp_path_factory.mktemp("browser")
    log = folder / "service.log"
    server = _scratch_server()
    if server is None:
        target = folder / "passbook.db"
        shutil.copyfile(Path(make_url(template_url).database or ""), target)
        with running_service(f"sqlite+aiosqlite:///{target}", log) as service:
            yield service
        return
    name = f"passbook_browser_{os.getpid()}"
    template = make_url(template_url).database
    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    asyncio.run(_admin(server, drop, f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        with running_service(url, log) as service:
            yield service
    finally:
        asyncio.run(_admin(server, drop))


@pytest.fixture(scope="package")
def browser(live_service: LiveService) -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright would
    download: ``playwright install`` is not used). It needs the service only to be started
    after it (the service's set-up and tear-down run asyncio loops of their own, which
    cannot run while Playwright's is open)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium and CJK fonts "
            "(apt-get install chromium fonts-noto-cjk)"
        )
    args = [*LAUNCH_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield chromium
        chromium.close()


@pytest.fixture
def watch() -> Watch:
    """The record of this test's browser context (see :class:`Watch`)."""
    return Watch()


@pytest.fixture
def context(browser: Browser, live_service: LiveService, watch: Watch) -> Iterator[BrowserContext]:
    """A fresh browser context per test: a phone's viewport (360 × 800), Chinese
    (``Accept-Language: zh-CN``), Beijing time, the service as base URL (``page.goto("/")``),
    30 s timeouts, and every other host refused."""
    ctx = browser.new_context(
        base_url=live_service.url,
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.route("**/*", watch.route)
    ctx.on("request", lambda request: watch.requests.append(request.url))
    ctx.on("console", watch.console)
    ctx.on("weberror", watch.web_error)
    yield ctx
    ctx.close()
    assert watch.blocked == [], f"a page asked for another host: {watch.blocked}"
    assert watch.errors == [], "errors in the page:\n" + "\n".join(watch.errors)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A new tab in this test's context."""
    return context.new_page()
