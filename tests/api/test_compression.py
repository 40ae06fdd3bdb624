"""Static files go gzipped; pages and API answers, which carry secrets, never do
(api/compression.py)."""

from __future__ import annotations

import gzip

from litestar.testing import AsyncTestClient

from api.docs import ASSETS_DIR
from pages.static_files import STATIC_DIR, VENDORED_HTMX, static_url
from tests.api.helpers import bearer

Client = AsyncTestClient  # type: ignore[type-arg]
GZIP = {"Accept-Encoding": "gzip"}


async def _raw(client: Client, path: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """The answer's headers and its body as it went over the wire (not decoded)."""
    async with client.stream("GET", path, headers=headers) as answer:
        assert answer.status_code == 200, path
        body = b"".join([chunk async for chunk in answer.aiter_raw()])
        return dict(answer.headers), body


async def test_htmx_goes_gzipped_to_a_browser_that_takes_gzip_and_unpacks_to_the_file(
    client: Client,
) -> None:
    headers, body = await _raw(client, static_url(VENDORED_HTMX), GZIP)
    original = (STATIC_DIR / VENDORED_HTMX).read_bytes()
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert gzip.decompress(body) == original
    assert len(body) < len(original) / 2  # 52 KB of script shrinks to well under half


async def test_a_client_that_does_not_take_gzip_gets_the_file_as_it_is(client: Client) -> None:
    headers, body = await _raw(client, static_url(VENDORED_HTMX), {"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers
    assert body == (STATIC_DIR / VENDORED_HTMX).read_bytes()


async def test_the_api_docs_assets_go_gzipped(client: Client) -> None:
    headers, body = await _raw(client, "/schema/assets/swagger-ui-bundle.js", GZIP)
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (ASSETS_DIR / "swagger-ui-bundle.js").read_bytes()


async def test_pages_and_api_answers_are_never_compressed(client: Client) -> None:
    # The sign-in page carries the CSRF token; API answers carry tokens and passbooks.
    page_headers, page = await _raw(client, "/signin", GZIP)
    assert len(page) > 1024, "the page must be big enough that gzip would have applied"
    assert "content-encoding" not in page_headers
    assert b"<html" in page
    answer_headers, answer = await _raw(
        client, "/api/savings-rules", {**GZIP, **bearer("pb_demo_admin")}
    )
    assert len(answer) > 1024
    assert "content-encoding" not in answer_headers
