"""Staff and counter devices sign in with a one-time sign-in code: typed at ``/signin/code``,
or opened as the link (or QR) the admin was given, ``/signin/code/{code}``.

Invariants: the exchange is :func:`office.redeem_sign_in_code` itself (its throttling, its one
answer for an unknown, used, expired or revoked code), and its credential becomes the
session through :func:`pages.sessions.start_session`; opening the link (a GET) never uses the
code, because link previews and prefetchers open links by themselves: only the confirm
button's POST does. A refusal is shown on the form in the page's language; a code is never
echoed back into a page once refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

import db
import office
from api.problems import status_of
from i18n import Message, _
from pages.errors import with_retry_after
from pages.sessions import start_session
from pages.templating import page
from scheme_time import utcnow

STAFF_SESSION = timedelta(hours=12)


@dataclass
class CodeForm:
    code: str = ""


Form = Annotated[CodeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]

_REFUSALS: dict[str, Message] = {
    "sign_in_code_refused": _(
        "This sign-in code does not work: it may be mistyped, already used, expired or "
        "revoked. Check it, or ask the admin for a new one."
    ),
    "sign_in_code_malformed": _(
        "A sign-in code is 8 capital letters and digits, such as 7KQ4-M2XD (there is no 0, "
        "O, 1 or I)."
    ),
}


def _refusal(error: db.DomainError) -> str | Message:
    if error.code == "sign_in_code_throttled":
        return _(
            "Too many wrong codes from this device: wait {seconds} seconds before trying again.",
            seconds=int(error.retry_after or 1),
        )
    return _REFUSALS.get(error.code, error.message)


def _shown(typed: str) -> str | None:
    """The code in its grouped form, if what was typed can be a code."""
    normal = office.normalise_code(typed)
    return None if normal is None else f"{normal[:4]}-{normal[4:]}"


async def _exchange(
    request: Request[Any, Any, Any],
    tx: db.Transactions,
    typed: str,
    template: str,
    **context: Any,
) -> Redirect | Template:
    try:
        redemption = await tx.write(
            office.redeem_sign_in_code,
            code=typed,
            address=request.client.host if request.client else "unknown",
        )
        issued = redemption.accepted()
    except db.DomainError as refused:
        status, _title = status_of(refused)
        response = page(request, template, status_code=status, refusal=_refusal(refused), **context)
        return with_retry_after(response, refused)
    redirect = Redirect("/", status_code=HTTP_303_SEE_OTHER)
    # A code's credential always expires (12 hours); a session never outlives a working day.
    expires_at = issued.expires_at or utcnow() + STAFF_SESSION
    start_session(redirect, issued.token, expires_at, request)
    return redirect


@get("/signin/code", exclude_from_auth=True, include_in_schema=False)
async def code_form(request: Request[Any, Any, Any]) -> Template:
    return page(request, "signin_code.html", refusal=None)


@post(
    "/signin/code",
    exclude_from_auth=True,
    include_in_schema=False,
    status_code=HTTP_303_SEE_OTHER,
)
async def code_typed(
    request: Request[Any, Any, Any], data: Form, tx: NamedDependency[db.Transactions]
) -> Redirect | Template:
    return await _exchange(request, tx, data.code, "signin_code.html")


@get("/signin/code/{code:str}", exclude_from_auth=True, include_in_schema=False)
async def code_link(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    """The link's page: a button to confirm. Opening it uses nothing."""
    shown = _shown(code)
    if shown is None:
        return page(
            request,
            "signin_code.html",
            status_code=422,
            refusal=_REFUSALS["sign_in_code_malformed"],
        )
    return page(request, "signin_code_link.html", code=shown, refusal=None)


@post(
    "/signin/code/{code:str}",
    exclude_from_auth=True,
    include_in_schema=False,
    status_code=HTTP_303_SEE_OTHER,
)
async def code_link_confirmed(
    request: Request[Any, Any, Any], code: FromPath[str], tx: NamedDependency[db.Transactions]
) -> Redirect | Template:
    shown = _shown(code) or ""
    return await _exchange(request, tx, code, "signin_code_link.html", code=shown)


ROUTES: list[Any] = [code_form, code_typed, code_link, code_link_confirmed]
