"""The API docs page (Swagger UI at ``/schema`` and ``/schema/swagger``) with its script and
style sheet served from the package itself.

Invariant: the page names no URL outside this service: its script, style sheet and icon come
from ``/schema/assets/`` (the vendored ``swagger-ui-dist`` in ``api/static/docs/``, whose
README names the version, source and checksums), and the document from
``/schema/openapi.json``. So the docs open on an intranet or where a public CDN cannot be
reached, and the page holds no inline script: its Content-Security-Policy
(:mod:`api.headers`) allows scripts from ``'self'`` only. Everything under ``/schema`` needs no
token (``api.app``).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
ASSETS_DIR = Path(__file__).parent / "static" / "docs"
ASSETS = (
    "swagger-ui.css",
    "passbook-docs.css",
    "favicon-32x32.png",
    "swagger-ui-bundle.js",
    "passbook-docs.js",
)


class DocsPage(OpenAPIRenderPlugin):
    """Swagger UI from the vendored assets, started by a script file, not an inline one."""

    def __init__(self, path: str | list[str] = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec = escape(f"{DOCS_PATH}/openapi.json")
        page = f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <title>{title}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
    <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
    <link rel="stylesheet" href="{ASSETS_PATH}/passbook-docs.css">
  </head>
  <body>
    <div id="swagger-container" data-spec-url="{spec}"></div>
    <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
    <script src="{ASSETS_PATH}/passbook-docs.js"></script>
  </body>
</html>
"""
        return page.encode()


def docs_assets() -> Router:
    """The route that serves the vendored docs assets (not in the OpenAPI document)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS_DIR],
        name="docs-assets",
        cache_control=CacheControlHeader(max_age=86_400, public=True),
        include_in_schema=False,
    )


__all__ = ["ASSETS", "ASSETS_DIR", "ASSETS_PATH", "DOCS_PATH", "DocsPage", "docs_assets"]
