"""Signing in to the pages with passbook number and PIN, and signing out.

Invariants: a sign-in is :func:`community.services.sign_in` itself (its throttling, its one
answer for a wrong number and a wrong PIN), with the device value this browser kept from an
earlier sign-in; a refusal is shown in the page's language with the number kept as typed, and
the PIN never sent back. Signing out revokes the session's credential
(:func:`office.sign_out`) before the cookie is cleared, so a copied cookie is useless too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

import db
import office
from access import Principal
from api.problems import status_of
from community import services
from i18n import Message, _
from pages.errors import with_retry_after
from pages.sessions import end_session, known_device, remember_device, start_session
from pages.templating import page


@dataclass
class SignInForm:
    passbook_number: str = ""
    pin: str = ""


Form = Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)]

_REFUSALS: dict[str, Message] = {
    "sign_in_failed": _(
        "The passbook number or the PIN is wrong. Check both and try again; if you have "
        "forgotten the PIN, ask your grid worker to set a new one."
    ),
    "invalid_person_data": _(
        "A passbook number is 3 to 32 capital letters, digits or dashes, as printed on the "
        "passbook's cover (for example YZS1-0001)."
    ),
    "invalid_pin": _("A PIN is 4 to 6 digits (0 to 9), nothing else."),
    "volunteer_moved_away": _(
        "This passbook belongs to a volunteer who has moved away; it can no longer sign in. "
        "Ask the community office."
    ),
    "sign_in_busy": _("Many people are signing in just now. Wait a moment and try again."),
}


def _refusal(error: db.DomainError) -> str | Message:
    if error.code == "sign_in_throttled":
        return _(
            "Too many wrong PINs: wait {seconds} seconds before trying again. If you are not "
            "sure of the PIN, ask your grid worker to set a new one.",
            seconds=error.retry_after or 1,
        )
    return _REFUSALS.get(error.code, error.message)


def _form(
    request: Request[Any, Any, Any],
    *,
    number: str = "",
    refusal: str | Message | None = None,
    status_code: int = 200,
) -> Template:
    notice: Message | None = None
    if "expired" in request.query_params:
        notice = _("You were signed out (the sign-in ended or was revoked). Sign in again.")
    elif "signed_out" in request.query_params:
        notice = _("You have signed out.")
    return page(
        request,
        "signin.html",
        status_code=status_code,
        number=number,
        refusal=refusal,
        notice=notice,
    )


@get("/signin", exclude_from_auth=True, include_in_schema=False)
async def signin_page(request: Request[Any, Any, Any]) -> Template:
    return _form(request)


@post("/signin", exclude_from_auth=True, include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def signin(
    request: Request[Any, Any, Any],
    data: Form,
    tx: NamedDependency[db.Transactions],
) -> Redirect | Template:
    number = data.passbook_number.strip().upper()
    try:
        attempt = await services.sign_in(
            tx,
            passbook_number=number,
            pin=data.pin.strip(),
            address=request.client.host if request.client else "unknown",
            device=known_device(request),
        )
        signed_in = attempt.accepted()
    except db.DomainError as refused:
        status, _title = status_of(refused)
        response = _form(request, number=number, refusal=_refusal(refused), status_code=status)
        return with_retry_after(response, refused)
    redirect = Redirect("/", status_code=HTTP_303_SEE_OTHER)
    start_session(redirect, signed_in.token, signed_in.expires_at, request)
    remember_device(redirect, signed_in.device, request)
    return redirect


@post("/signout", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def signout(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Redirect:
    await tx.write(office.sign_out, principal)
    redirect = Redirect("/signin?signed_out=1", status_code=HTTP_303_SEE_OTHER)
    end_session(redirect, request)
    return redirect


ROUTES: list[Any] = [signin_page, signin, signout]
