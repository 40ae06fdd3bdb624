"""Which answers are sent gzipped: the static files only (the pages' style sheets and scripts
under ``/static``, the API docs' assets under ``/schema``).

Invariant: an answer that carries a secret is never compressed. A page holds the CSRF token
beside words the reader typed, and the API answers tokens and codes; compressing those lets
someone who can watch the answers' sizes guess the secret a byte at a time (BREACH). The
static files hold nothing of anyone's, are the bulk of a first visit (htmx alone is 52 KB;
the counter's QR scanner more) and are cached for a year, so they are compressed once per
browser. Anything under 1 KB is sent as it is: gzip would save less than it costs.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Receive, Scope, Send

COMPRESSED_PREFIXES = ("/static/", "/schema/")
"""The only paths whose answers may be gzipped."""


class StaticOnlyCompression(CompressionMiddleware):
    """litestar's compression, passed by for every path not under :data:`COMPRESSED_PREFIXES`
    (litestar's own ``exclude`` lists what to skip; here the list is what to compress)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(COMPRESSED_PREFIXES):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def static_compression() -> CompressionConfig:
    """gzip at level 6 (close to 9's size, a good deal faster) for the static files only."""
    return CompressionConfig(
        backend="gzip",
        minimum_size=1024,
        gzip_compress_level=6,
        middleware_class=StaticOnlyCompression,
    )


__all__ = ["COMPRESSED_PREFIXES", "StaticOnlyCompression", "static_compression"]
