"""The pages' style sheet and scripts, served from the package under ``/static``.

Invariant: nothing a page uses comes from outside the service (no CDN, no web font: the
system's fonts only). Every file is linked with its content's digest in the URL
(``/static/app.css?v=<digest>``), so it may be cached for a year: a changed file gets a new
URL. The answers also carry an ETag, so a browser that asks again is answered 304.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC_PATH = "/static"
STATIC_DIR = Path(__file__).parent / "static"
VENDORED_HTMX = "vendor/htmx-2.0.11/htmx.min.js"
"""htmx, pinned (see the README beside it for its version, licence and checksums)."""
YEAR = 31_536_000


@cache
def _digest(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of static file ``name`` (relative to ``pages/static``), versioned by content."""
    return f"{STATIC_PATH}/{name}?v={_digest(name)}"


def static_router() -> Router:
    """The route that serves ``pages/static`` (not in the OpenAPI document)."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="page-static",
        cache_control=CacheControlHeader(max_age=YEAR, public=True),
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )


__all__ = ["STATIC_DIR", "STATIC_PATH", "VENDORED_HTMX", "static_router", "static_url"]
