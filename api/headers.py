"""Security headers on every answer the service sends, errors and the docs page included.

Invariant: every HTTP answer carries ``X-Content-Type-Options: nosniff`` (a browser takes a
CSV or a JSON answer for what its Content-Type says, never for HTML or script),
``Referrer-Policy: no-referrer`` (a URL holding a passbook number or a ballot code is not
passed on) and ``X-Frame-Options: DENY`` (no page of the service inside another site's
frame). An HTML answer (the pages and the API docs) also carries a
``Content-Security-Policy`` that allows scripts, style sheets, images, fonts, requests, workers
(the counter's QR reader, a file of its own: never ``blob:``) and media from the service itself
only, no frames and no plugins. ``Strict-Transport-Security`` is sent on an answer to a request that came over
HTTPS, as the server saw it: behind a proxy that ends TLS, ``passbook serve`` (granian or
uvicorn) takes the proxy's ``X-Forwarded-Proto: https`` as the scheme only from the
addresses in ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1; :mod:`api.serving`); the app itself
never reads ``X-Forwarded-Proto``, so a client cannot fake it.

Why ``style-src`` also allows ``'unsafe-inline'``: Swagger UI (the docs page) renders with
React and sets style attributes on the elements it makes (the syntax highlighter of examples
and responses does so throughout); ``'self'`` alone would leave those parts unstyled. Inline
styles cannot run code; scripts stay ``'self'`` only, and the page has no inline script.
"""

from __future__ import annotations

from litestar.types import Message, Scope

HSTS_MAX_AGE = 31_536_000  # a year, the usual value once a site is served over HTTPS only

DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "media-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
HSTS = (b"strict-transport-security", f"max-age={HSTS_MAX_AGE}".encode())


async def security_headers(message: Message, scope: Scope) -> None:
    """Adds the headers to the start of every HTTP answer (litestar's ``before_send`` hook)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    added = [header for header in ALWAYS if header[0] not in present]
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if content_type.lower().startswith(b"text/html"):
        added.append((b"content-security-policy", DOCS_CSP.encode()))
    if scope.get("scheme") == "https":
        added.append(HSTS)
    message["headers"] = headers + added


__all__ = ["DOCS_CSP", "HSTS_MAX_AGE", "security_headers"]
