"""The HTTP side of access: bearer tokens in, :class:`access.Principal` out, and role guards.

Every request but health, sign-in, the public pages and the API docs carries a valid,
unexpired, unrevoked token (401 otherwise); a token's ``last_used_at`` is noted at most once
every few minutes. An API request (``/api/...``) carries it as ``Authorization: Bearer``
and only so; a page request (any other path) carries it in the session cookie
(:data:`SESSION_COOKIE`, set by :mod:`pages.sessions`) and only so. One lookup serves both,
and the API never takes the cookie: a browser sends cookies by itself, so another site
could otherwise make signed-in API calls that no CSRF token guards. Who may do what is decided by :mod:`access`, in the use cases; the guards
here only refuse a wrong role before any work (403).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

import access
import db
from access import Principal, Role
from api.refusals import Refusal
from i18n import _
from scheme_time import utcnow

log = logging.getLogger("passbook.api")
Guard = Callable[[ASGIConnection, BaseRouteHandler], None]  # type: ignore[type-arg]
SESSION_COOKIE = "passbook_session"
"""The cookie a page session keeps its credential in (never read on an API path)."""


METRICS_PATH = "/metrics"
"""Read by Prometheus with a bearer token, like the API (never with a session cookie)."""


def is_api_path(path: str) -> bool:
    """Whether ``path`` is the API's (bearer tokens only) rather than a page's (cookie only)."""
    return path == "/api" or path.startswith("/api/") or path == METRICS_PATH


def _bearer(connection: ASGIConnection) -> str:  # type: ignore[type-arg]
    header = connection.headers.get("authorization", "")
    scheme, _space, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Refusal(
            401, _("Sign in first: send 'Authorization: Bearer <token>' with every request.")
        )
    return raw.strip()


def _session(connection: ASGIConnection) -> str:  # type: ignore[type-arg]
    raw = connection.cookies.get(SESSION_COOKIE, "").strip()
    if not raw:
        raise Refusal(401, _("Sign in first."))
    return raw


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` (API paths) or the session cookie (page
    paths) to a :class:`Principal` or answers 401."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        raw = _bearer(connection) if is_api_path(connection.scope["path"]) else _session(connection)
        engine: AsyncEngine = connection.app.state.engine
        now = utcnow()
        # One statement, so no snapshot to hold: on PostgreSQL it runs without BEGIN and
        # ROLLBACK (one round trip), and it always sees the last committed revocation.
        async with db.single_read(engine) as conn:
            principal = await access.find_principal(conn, raw, now=now)
        if principal is None:
            raise Refusal(
                401,
                _("This token is not valid: it is unknown, expired or revoked. Ask for a new one."),
            )
        if access.use_is_due(principal.last_used_at, now):
            await _note_use(engine, principal.token_id, now)
        return AuthenticationResult(user=principal, auth=raw)


async def _note_use(engine: AsyncEngine, token_id: int, now: datetime) -> None:
    """Note that the token let someone in, in a short write transaction of its own. Only when
    the last note is older than :data:`access.USE_NOTED_EVERY`, so reads do not write on every
    request; a note that cannot be written (the books busy or unreachable) is skipped and
    logged, never the request's failure."""
    try:
        # One conditional UPDATE: on PostgreSQL it commits by itself, one round trip.
        async with db.single_write(engine) as conn:
            await access.note_use(conn, token_id, now)
    except (SQLAlchemyError, OSError) as error:
        log.warning("could not note the use of token %s: %r", token_id, error)


def roles(*allowed: Role) -> Guard:
    """A guard letting only ``allowed`` roles through."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
        access.require_role(connection.user, *allowed)

    return guard


def whole_books(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """A guard for reports over the whole book: only a token scoped to a street may see them."""
    principal: Principal = connection.user
    access.require_whole_books(principal)
