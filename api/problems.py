"""Every error leaves the service as RFC 9457 problem details (``application/problem+json``).

Each problem has a stable machine-readable ``code`` and a ``detail`` a person at a counter can
act on; ``title`` and ``detail`` are in the language the request's ``Accept-Language`` asks
for (Chinese or English; English when it asks for neither), the ``code`` never changes. The
API's own refusals (:class:`api.refusals.Refusal`) carry their catalogue message; what the
framework refuses by itself (malformed JSON, no such address) gets a catalogue sentence for
its status, never the framework's English; a 422's ``errors`` say what each field takes
(:mod:`api.validation`). Only this module knows which HTTP status a domain error becomes,
and so it is also what writes the errors into the OpenAPI document
(:class:`ProblemResponses`): a client reading the document sees every status an operation can
answer, each with the problem's schema. Every problem carries the request's id
(``request_id``, the ``X-Request-ID`` the answer echoes: :mod:`api.observing`), so a caller can
quote it and the log line be found.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

import db
import i18n
from api.observing import request_id
from api.refusals import Refusal
from api.schemas import Problem
from api.validation import field_errors
from i18n import Message, _

PROBLEM_JSON = "application/problem+json"
UNAVAILABLE_RETRY_AFTER = 5  # seconds: a restarting database is usually back by then
log = logging.getLogger("passbook.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    503: "service_unavailable",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


def reader_locale(request: Request[Any, Any, Any]) -> i18n.Locale:
    """The language the request asks for (``Accept-Language``); English when it asks none."""
    return i18n.from_accept_language(request.headers.get("accept-language"))


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    title: str | Message,
    detail: str | Message,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    locale = reader_locale(request)
    body = {
        "type": f"https://red-passbook.invalid/problems/{code}",
        "title": i18n.render(title, locale),
        "status": status,
        "code": code,
        "detail": i18n.render(detail, locale),
        "instance": request.url.path,
        **extra,
    }
    if (rid := request_id(request.scope)) is not None:
        body["request_id"] = rid
    headers = {**(headers or {}), "Content-Language": locale.tag}
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# A domain error's category alone decides its status; an error may carry a sharper title.
_CATEGORY: dict[db.Category, tuple[int, Message]] = {
    db.Category.NOT_FOUND: (404, _("Not found")),
    db.Category.INVALID: (422, _("Invalid request")),
    db.Category.CONFLICT: (409, _("Conflict")),
    db.Category.FORBIDDEN: (403, _("Forbidden")),
    db.Category.UNAUTHENTICATED: (401, _("Not signed in")),
    db.Category.THROTTLED: (429, _("Too many attempts")),
    db.Category.LOCKED: (423, _("Locked")),
    db.Category.UNAVAILABLE: (503, _("Service unavailable")),
}


def status_of(error: db.DomainError) -> tuple[int, Message]:
    """The HTTP status a domain error is answered with, and its title (for the pages too)."""
    return _CATEGORY[error.category]


def title_of(status: int) -> str | Message:
    """The title of an HTTP error's status, for people (for the pages too)."""
    return _title(status)


def domain_error(
    request: Request[Any, Any, Any], error: db.DomainError
) -> Response[dict[str, Any]]:
    status, title = status_of(error)
    headers = {"Retry-After": str(int(error.retry_after))} if error.retry_after else None
    return problem(
        request,
        status,
        error.code,
        error.title or title,
        error.message,
        headers=headers,
        **error.figures,
    )


_MALFORMED_AT = re.compile(r"\(byte (\d+)\)")
INTERNAL = _(
    "Something went wrong on our side. Try again; a request sent again with the same "
    "Idempotency-Key is done at most once. If it keeps happening, tell the community "
    "office."
)
# What the framework's own refusals say, in the reader's language (its English never shows).
_FRAMEWORK_DETAILS: dict[int, Message] = {
    400: _("The request cannot be read; nothing was done. Send it as the operation documents."),
    401: _("Sign in first: send 'Authorization: Bearer <token>' with every request."),
    403: _("This token may not do this."),
    404: _("There is nothing at this address: check the path against the API documentation."),
    405: _("This address does not take this method; the Allow header lists the ones it takes."),
    415: _("This operation does not take a body of this type; send the Content-Type it documents."),
    422: _("The request is not valid. Correct it and send it again."),
    429: _("Too many requests: wait a moment and try again."),
    500: INTERNAL,
    503: _("The service cannot answer just now; try again in a moment."),
}


def _framework_detail(status: int, error: HTTPException) -> Message:
    """The sentence for a refusal the framework made (its own text is English only)."""
    if status == 400 and (
        isinstance(error.__cause__, SerializationException)
        or str(error.detail).startswith("JSON is malformed")
    ):
        at = _MALFORMED_AT.search(str(error.detail))
        if at:
            return _(
                "The request body is not valid JSON (the first fault is at byte {position}); "
                "nothing was done. Check its quotes, commas and brackets.",
                position=int(at[1]),
            )
        return _(
            "The request body is not valid JSON; nothing was done. Check its quotes, commas "
            "and brackets."
        )
    return _FRAMEWORK_DETAILS.get(
        status, _("The service could not do this request; nothing was done.")
    )


def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    status = error.status_code
    detail: str | Message = (
        error.message if isinstance(error, Refusal) else _framework_detail(status, error)
    )
    extra: dict[str, Any] = {}
    if isinstance(error, ValidationException):
        # A request that parses but says something impossible is 422, whatever the framework's
        # default; 'errors' names each field at fault, and what it takes.
        status = 422
        detail = _FRAMEWORK_DETAILS[422]
        errors = field_errors(request, error, reader_locale(request))
        if errors:
            extra["errors"] = errors
            fields = sorted({str(e["key"]) for e in errors if e.get("key")})
            detail = (
                _(
                    "The request is not valid ({fields}); 'errors' lists each field and what "
                    "is wrong with it. Correct them and send the request again.",
                    fields=", ".join(fields),
                )
                if fields
                else _(
                    "The request is not valid; 'errors' lists each field and what is wrong "
                    "with it. Correct them and send the request again."
                )
            )
    elif status == 413:
        # The route's own limit (a roster file may be larger than a JSON request), else the
        # service's.
        handler = request.scope.get("route_handler")
        limit = (
            handler.resolve_request_max_body_size()
            if isinstance(handler, HTTPRouteHandler)
            else getattr(request.app.state.get("settings"), "max_body_bytes", None)
        )
        detail = (
            _(
                "The request body is larger than this service accepts (at most {limit} bytes); "
                "nothing was done. Send a smaller request: split a long list of lines into "
                "several sheets, or a long roster into several files.",
                limit=limit,
            )
            if limit
            else _(
                "The request body is larger than this service accepts; nothing was done. Send "
                "a smaller request: split a long list of lines into several sheets, or a long "
                "roster into several files."
            )
        )
        if limit:
            extra["max_body_bytes"] = limit
    # The framework's own headers stay: Allow on a 405, for one.
    headers = dict(error.headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="red-passbook"'
    return problem(
        request,
        status,
        _HTTP_CODES.get(status, "http_error"),
        _title(status),
        detail,
        headers=headers or None,
        **extra,
    )


def unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    if db.is_unavailable(error):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, error)
        return problem(
            request,
            HTTP_503_SERVICE_UNAVAILABLE,
            "database_unavailable",
            _("Service unavailable"),
            _(
                "The books cannot be reached just now. Try again in a moment; a request sent "
                "again with the same Idempotency-Key is done at most once."
            ),
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        _("Internal error"),
        INTERNAL,
    )


_TITLES = {
    400: _("Bad request"),
    401: _("Not signed in"),
    403: _("Forbidden"),
    404: _("Not found"),
    405: _("Method not allowed"),
    413: _("Request too large"),
    415: _("Unsupported media type"),
    422: _("Invalid request"),
    429: _("Too many requests"),
    503: _("Service unavailable"),
}


def _title(status: int) -> str | Message:
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Error")


def problem_response(description: str) -> ResponseSpec:
    """How an error answer is documented: problem details, described for this operation."""
    return ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_JSON,
        description=description,
        generate_examples=False,
    )


# The errors any operation of a kind can answer; an operation documents more (423, 429) or
# says it better with its decorator's ``responses``, which win.
_ANY = {
    503: "The books cannot be reached just now; try again after Retry-After seconds.",
}
_SIGNED_IN = {
    401: "No token, or one that is unknown, expired or revoked: send 'Authorization: Bearer "
    "<token>' with a valid token.",
    403: "This token's role or scope does not allow this; 'detail' says which token does.",
}
_WITH_INPUT = {
    400: "The request cannot be read (a body that is not JSON, for one).",
    404: "Something the request names (a passbook, code or id) does not exist.",
    422: "The request is not valid: 'errors' names each field at fault, or 'detail' says what "
    "is impossible about it.",
}
_WRITING = {
    409: "The request conflicts with the state of the books ('code' says how: not enough "
    "points, already used, an idempotency key reused with other data, ...); nothing was done.",
    413: "The request body is larger than the service accepts; nothing was done.",
}
# Parameters a handler gets from the framework or from dependencies, not from the client.
_NOT_INPUT = frozenset({"self", "request", "state", "scope", "headers", "cookies", "query"})


def _documented_errors(handler: HTTPRouteHandler) -> dict[int, str]:
    errors = dict(_ANY)
    signed_in = not handler.opt.get("exclude_from_auth")
    if signed_in:
        errors |= _SIGNED_IN
    inputs = (
        set(handler.parsed_fn_signature.parameters)
        - _NOT_INPUT
        - set(handler.resolve_dependencies())
    )
    if inputs:
        errors |= _WITH_INPUT
    if "data" in inputs:
        errors[413] = _WRITING[413]
    # An anonymous caller (signing in) changes nothing another request could conflict with.
    if signed_in and handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"}:
        errors[409] = _WRITING[409]
    return errors


class ProblemResponses(ReceiveRoutePlugin):
    """Documents, for every operation, the problem details it can answer with."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            declared = dict(handler.responses or {})
            handler.responses = {
                status: declared.get(status) or problem_response(description)
                for status, description in _documented_errors(handler).items()
            } | declared


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    db.DomainError: domain_error,
    HTTPException: http_error,
    Exception: unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "ProblemResponses",
    "problem",
    "problem_response",
    "status_of",
    "title_of",
]
