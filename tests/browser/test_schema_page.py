"""The API docs page in a real browser: Swagger UI from the service itself renders the
operations (it rendered blank when its scripts came from a public CDN this machine cannot
reach); the page is photographed, and axe-core runs in it under its strict CSP."""

from __future__ import annotations

import struct
from pathlib import Path

from playwright.sync_api import Page

from tests.browser import axe_results, screenshots
from tests.browser.conftest import Watch
from tests.browser.live import LiveService


def _png_width(path: Path) -> int:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width: int = struct.unpack(">I", header[16:20])[0]
    return width


def test_the_docs_page_renders_from_the_service_alone_and_can_be_checked(
    live_service: LiveService, page: Page, watch: Watch
) -> None:
    answer = page.goto("/schema")
    assert answer is not None
    operations = page.locator(".opblock")
    operations.first.wait_for(timeout=60_000)  # Swagger UI takes seconds to draw 270 KB
    assert operations.count() >= 20
    assert "Red Passbook" in page.locator(".information-container .title").inner_text()
    assert page.get_by_text("/api/passbooks/{number}", exact=True).first.is_visible()

    scripts = page.evaluate("() => [...document.scripts].map((s) => s.src)")
    assert scripts, "the page has no script"
    assert all(src.startswith(f"{live_service.url}/schema/assets/") for src in scripts), scripts
    styles = page.evaluate(
        "() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => l.href)"
    )
    assert styles
    assert all(href.startswith(f"{live_service.url}/schema/assets/") for href in styles), styles
    assert all(url.startswith(f"{live_service.url}/") for url in watch.requests), watch.requests

    written = screenshots(page, "api-docs")
    assert [p.name for p in written] == ["api-docs-360x800.png", "api-docs-1280x800.png"]
    assert [_png_width(p) for p in written] == [360, 1280]
    assert page.viewport_size == {"width": 360, "height": 800}  # put back

    # axe-core runs where scripts may come from the service only ('self'). Swagger UI is a
    # developers' tool we vendor, not one of our pages: it is not held to the pages' rule.
    assert "script-src 'self'" in (answer.headers.get("content-security-policy") or "")
    results = axe_results(page, options={"runOnly": ["document-title", "html-has-lang"]})
    assert results["version"] == "4.14.1"
    assert sorted(results["passes"]) == ["document-title", "html-has-lang"]
