"""Errors on pages are pages: in the reader's language, never JSON; the API keeps its problem
details.

Invariant: a request to a page path (anything but ``/api``, ``/schema`` and ``/health``) that
fails is answered with an HTML page in the page's language with the error's status, or, when
it was not signed in (no session, or one expired or revoked), with a redirect to ``/signin``
that says why; every other request gets exactly what :mod:`api.problems` answers. A form
sent without its CSRF token is refused (403) with a page that says to reload it. An error page
shows the request's id (the ``X-Request-ID`` of the answer), for the person to quote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

import db
from api.auth import is_api_path
from api.observing import request_id
from api.problems import status_of, title_of
from i18n import Message, _
from pages.sessions import end_session, had_session
from pages.subject import NoSubject, elsewhere
from pages.templating import page

log = logging.getLogger("passbook.pages")
CSRF_REFUSED = "CSRF token verification failed"
"""The detail litestar's CSRF check refuses a form with."""
NOT_PAGES = ("/schema", "/health", "/ready")

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def is_page_path(path: str) -> bool:
    """Whether ``path`` is a page's (its errors are pages) rather than the API's or its docs'."""
    return not is_api_path(path) and not path.startswith(NOT_PAGES)


def _signin(request: Request[Any, Any, Any]) -> Response[Any]:
    target = "/signin?expired=1" if had_session(request) else "/signin"
    redirect: Response[Any] = Redirect(target, status_code=HTTP_303_SEE_OTHER)
    if had_session(request):
        end_session(redirect, request)
    return redirect


def _http(error: HTTPException) -> tuple[int, str | Message, str | Message]:
    status = error.status_code
    if isinstance(error, ValidationException):
        return (
            400,
            _("Bad request"),
            _("The form could not be read. Go back, check what you typed and send it again."),
        )
    if status == 403 and error.detail == CSRF_REFUSED:
        return (
            403,
            _("Forbidden"),
            _(
                "This form is out of date or did not come from this page, so nothing was done. "
                "Go back, reload the page and send it again."
            ),
        )
    if status == 404:
        return 404, _("Not found"), _("There is no such page. Go to the home page.")
    if status == 405:
        return 405, _("Method not allowed"), _("This page cannot do that. Go to the home page.")
    if status == 413:
        return (
            413,
            _("Request too large"),
            _("What was sent is larger than this service accepts; nothing was done."),
        )
    return status, title_of(status), title_of(status)


R = TypeVar("R", bound=Response[Any])


def with_retry_after(response: R, refused: db.DomainError) -> R:
    """``response`` (a page answering ``refused``) with the refusal's ``Retry-After`` header,
    when it has one (a throttle said how long to wait)."""
    if refused.retry_after:
        response.headers["Retry-After"] = str(int(refused.retry_after))
    return response


def page_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The page that answers ``error`` on a page path."""
    headers: dict[str, str] = {}
    title: str | Message
    detail: str | Message
    if isinstance(error, NotAuthorizedException) or (
        isinstance(error, HTTPException) and error.status_code == 401
    ):
        return _signin(request)
    if isinstance(error, db.DomainError):
        status, title = status_of(error)
        title = error.title or title
        detail = error.message
        if error.retry_after:
            headers["Retry-After"] = str(int(error.retry_after))
    elif isinstance(error, HTTPException):
        status, title, detail = _http(error)
        headers.update(error.headers or {})
    elif db.is_unavailable(error):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, error)
        status, title = 503, _("Service unavailable")
        detail = _("The books cannot be reached just now. Try again in a moment.")
        headers["Retry-After"] = "5"
    else:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        status, title = 500, _("Internal error")
        detail = _(
            "Something went wrong on our side. Try again; if it keeps happening, tell the "
            "community office."
        )
    response = page(
        request,
        "error.html",
        status_code=status,
        title=title,
        detail=detail,
        request_id=request_id(request.scope),
    )
    response.headers.update(headers)
    return response


def no_subject(request: Request[Any, Any, Any], error: NoSubject) -> Response[Any]:
    """A volunteer page with no passbook to show sends the caller on (:func:`elsewhere`)."""
    return elsewhere(error.principal)


def exception_handlers(
    api_handlers: dict[type[Exception] | int, Any],
) -> dict[type[Exception] | int, Any]:
    """``api_handlers`` (the problem-details handlers), each answering page paths with a
    page instead; and a volunteer page's :class:`NoSubject` with its redirect."""

    def on_pages(api_handler: Handler) -> Handler:
        def handler(request: Request[Any, Any, Any], error: Any) -> Response[Any]:
            if is_page_path(request.url.path):
                return page_error(request, error)
            return api_handler(request, error)

        return handler

    return {
        **{kind: on_pages(handler) for kind, handler in api_handlers.items()},
        NoSubject: no_subject,
    }


__all__ = [
    "CSRF_REFUSED",
    "exception_handlers",
    "is_page_path",
    "page_error",
    "with_retry_after",
]
