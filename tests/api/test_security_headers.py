"""Security headers on every answer, the docs page served from the package, and HSTS only
over HTTPS (finding 12)."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.docs import ASSETS_DIR
from config import Settings
from tests.api.conftest import ADMIN

Client = AsyncTestClient  # type: ignore[type-arg]
ROOT = Path(__file__).resolve().parents[2]
DOCS_PAGES = ["/schema", "/schema/", "/schema/swagger"]
ANSWERS = [
    ("GET", "/health", {}),
    ("GET", "/schema/openapi.json", {}),
    ("GET", "/api/books/verify", ADMIN),
    ("GET", "/api/books/verify", {}),  # 401
    ("GET", "/api/reports/leaderboard.csv", ADMIN),  # 422: no months
    ("GET", "/api/no/such/path", {}),  # 404 from the router (other paths are pages)
    ("POST", "/api/sign-in", {}),  # 400: no body
]
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}


def assert_common_headers(headers: httpx.Headers, path: str) -> None:
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") == "no-referrer", path
    assert headers.get("x-frame-options") == "DENY", path


@pytest.mark.parametrize(("method", "path", "headers"), ANSWERS)
async def test_every_answer_carries_the_security_headers(
    client: Client, method: str, path: str, headers: dict[str, str]
) -> None:
    answer = await client.request(method, path, headers=headers)
    assert_common_headers(answer.headers, path)
    assert "strict-transport-security" not in answer.headers  # plain HTTP
    assert "content-security-policy" not in answer.headers  # not HTML


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_the_docs_page_names_only_the_services_own_assets(client: Client, page: str) -> None:
    answer = await client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert_common_headers(answer.headers, page)
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy
    html = answer.text
    assert "http" not in html.lower()
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # no inline script: scripts are 'self' only
    urls = re.findall(r"""(?:src|href|data-spec-url)=["']([^"']+)["']""", html)
    assert len(urls) >= 5
    for url in urls:
        assert url.startswith("/schema/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        if url.endswith("openapi.json"):
            continue
        media = asset.headers["content-type"].split(";")[0]
        assert media in CONTENT_TYPES[Path(url).suffix], url
        assert asset.content == (ASSETS_DIR / Path(url).name).read_bytes()
    assert "/schema/assets/swagger-ui-bundle.js" in urls


def test_the_vendored_assets_are_package_data() -> None:
    """A non-editable install ships every file of api/static/docs."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["api"]
    files = sorted(p.relative_to(ROOT / "api").as_posix() for p in ASSETS_DIR.iterdir())
    assert "static/docs/swagger-ui-bundle.js" in files
    assert "static/docs/LICENSE" in files
    for name in files:
        assert any(fnmatch(name, pattern) for pattern in patterns), name
    readme = (ASSETS_DIR / "README.md").read_text()
    version = (ASSETS_DIR / "VERSION").read_text().split()[-1]
    assert f"swagger-ui-dist@{version}" in readme


async def test_hsts_only_over_https(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as secure:
        for path in ("/health", "/schema", "/no/such/path"):
            answer = await secure.get(path)
            assert answer.headers["strict-transport-security"] == "max-age=31536000", path
            assert_common_headers(answer.headers, path)
    async with AsyncTestClient(app=app) as plain:
        # the service never believes a client's own X-Forwarded-Proto (uvicorn's
        # --proxy-headers sets the scheme when the proxy is trusted)
        answer = await plain.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in answer.headers
