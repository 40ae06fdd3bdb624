"""Page sessions: a cookie holding the credential a sign-in gave, and the sign-in device.

Invariants:

* the session cookie (:data:`api.auth.SESSION_COOKIE`) holds the credential's token itself, and
  a page request's principal is found from it by the same lookup as a bearer token
  (:class:`api.auth.BearerTokenMiddleware`); so an expired or revoked credential, a moved-away
  volunteer or a council member who stepped down is let in by no page either, and signing out
  revokes the credential (:func:`office.sign_out`), not only the cookie;
* the cookie is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (another site's form
  cannot send it with a POST), ``Path=/``, ``Secure`` when the request came over HTTPS, and
  lives exactly as long as the credential (``Max-Age``);
* the API never takes this cookie (it stays bearer-only, so no other site's page can make a
  signed-in API call);
* the device value a sign-in returns is kept in its own long-lived ``HttpOnly`` cookie and
  sent with later sign-ins from this browser, so other people's wrong PINs never slow its
  owner down.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from api.auth import SESSION_COOKIE
from scheme_time import utcnow

DEVICE_COOKIE = "passbook_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie


def page_cookie(key: str, value: str, max_age: int, request: Request[Any, Any, Any]) -> Cookie:
    """A cookie the pages set: for the whole site, no script reads it, no other site's form
    sends it, over HTTPS only when the request came so; ``max_age`` 0 clears it."""
    return Cookie(
        key=key,
        value=value,
        path="/",
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def session_cookie(token: str, expires_at: datetime, request: Request[Any, Any, Any]) -> Cookie:
    """The session cookie for credential ``token``, valid until ``expires_at``."""
    max_age = max(0, int((expires_at - utcnow()).total_seconds()))
    return page_cookie(SESSION_COOKIE, token, max_age, request)


def start_session(
    response: Response[Any],
    token: str,
    expires_at: datetime,
    request: Request[Any, Any, Any],
) -> Response[Any]:
    """Make ``response`` sign this browser in with credential ``token`` (from a sign-in that
    just gave it) until ``expires_at``. Returns the response."""
    response.set_cookie(session_cookie(token, expires_at, request))
    return response


def end_session(response: Response[Any], request: Request[Any, Any, Any]) -> Response[Any]:
    """Make ``response`` forget the session cookie (the credential is revoked elsewhere)."""
    response.set_cookie(page_cookie(SESSION_COOKIE, "", 0, request))
    return response


def remember_device(
    response: Response[Any], device: str, request: Request[Any, Any, Any]
) -> Response[Any]:
    """Keep the sign-in's device value in this browser for the next sign-in."""
    response.set_cookie(page_cookie(DEVICE_COOKIE, device, DEVICE_MAX_AGE, request))
    return response


def known_device(request: Request[Any, Any, Any]) -> str | None:
    """The device value an earlier sign-in from this browser left, if any."""
    return request.cookies.get(DEVICE_COOKIE) or None


def had_session(request: Request[Any, Any, Any]) -> bool:
    """Whether the request carried a session cookie (one no longer valid, when it was refused)."""
    return bool(request.cookies.get(SESSION_COOKIE))


__all__ = [
    "DEVICE_COOKIE",
    "SESSION_COOKIE",
    "end_session",
    "had_session",
    "known_device",
    "page_cookie",
    "remember_device",
    "session_cookie",
    "start_session",
]
