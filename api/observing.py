"""Every request observed: its id, its latency in the metrics and one JSON line in the log.

Invariants:

* every HTTP answer carries ``X-Request-ID``: the caller's own, if it sent one of 1 to 64
  characters of ``A-Z a-z 0-9 . _ -``, else a fresh one; problem details and error pages show
  the same id (:func:`request_id`), so a person can quote it and the log line be found;
* every request, matched to a route or not, is counted once in
  ``passbook_http_request_duration_seconds`` under its route's path template (``unmatched``
  when none), never its raw path;
* the log line (logger ``passbook.request``, level INFO) holds only: time, request id,
  method, route template, status, duration in ms, and the principal's role and token id when
  signed in. Never the raw path or query, a header, a cookie or a body: so never a PIN, a
  token, a session cookie or a phone number.

It wraps litestar's own handler (:func:`observe_requests`), outside routing and the error
handlers, so it sees 404s and every error answer as sent; the work per request is a clock
read, a header scan, one dict look-up for the histogram and, when the logger is on, one
``json.dumps``.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

import observe

log = logging.getLogger("passbook.request")
HEADER = b"x-request-id"
REQUEST_ID = "request_id"
"""Where the id is kept in the request's scope state."""
UNMATCHED = "unmatched"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def _incoming(headers: Any) -> str | None:
    for name, value in headers:
        if name == HEADER:
            return value.decode() if _SAFE_ID.fullmatch(value) else None
    return None


def request_id(scope: Scope | Any) -> str | None:
    """The id of the request ``scope`` belongs to (a request's ``scope``), if it was observed."""
    state = scope.get("state")
    return state.get(REQUEST_ID) if isinstance(state, dict) else None


class ObservedRequests:
    """The ASGI wrapper: id in, header out, histogram and log line at the end."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, asgi_scope: Scope, receive: Receive, send: Send) -> None:
        scope: dict[str, Any] = asgi_scope  # type: ignore[assignment]
        if scope["type"] != "http":
            await self.app(asgi_scope, receive, send)
            return
        start = perf_counter()
        rid = _incoming(scope["headers"]) or secrets.token_hex(8)
        scope.setdefault("state", {})[REQUEST_ID] = rid
        header = (HEADER, rid.encode())
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(asgi_scope, receive, sending)
        finally:
            seconds = perf_counter() - start
            route = scope.get("path_template") or UNMATCHED
            method = observe.known_method(scope["method"])
            observe.request_done(route, method, status, seconds)
            if log.isEnabledFor(logging.INFO):
                log.info(_line(scope, rid, method, route, status, seconds))


def _line(
    scope: dict[str, Any], rid: str, method: str, route: str, status: int, seconds: float
) -> str:
    fields: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": rid,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    principal: Any = scope.get("user")
    role = getattr(principal, "role", None)
    if role is not None:
        fields["role"] = str(role)
        fields["principal_id"] = principal.token_id
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def observe_requests(app: Litestar) -> Litestar:
    """Wrap ``app``'s handler (once, where the app is made) so every request is observed."""
    app.asgi_handler = ObservedRequests(app.asgi_handler)
    return app


def log_requests_to(stream: Any = None) -> None:
    """Write the request log lines, one JSON object a line, to ``stream`` (stderr by
    default). The serving command calls it once; without it the lines go wherever logging
    is configured (nowhere at INFO by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


__all__ = [
    "HEADER",
    "REQUEST_ID",
    "ObservedRequests",
    "log_requests_to",
    "observe_requests",
    "request_id",
]
