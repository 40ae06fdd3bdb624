"""The grid worker's chooser: find a volunteer of their unit, act for them, stop.

Invariants: the list is :func:`community.services.list_volunteers` (the same use case as
``GET /api/volunteers``, scoped to the admin's unit by the service); ``POST /volunteers/act``
sets the ``passbook_acting_for`` cookie only after :func:`access.passbook_acted_for` (the rule
every use case applies) said this admin may act for that passbook, so an admin of one grid
cannot choose a volunteer of another (refused, no cookie set, nothing written). The cookie
itself grants nothing (see :mod:`pages.subject`). Both forms carry the CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
from access import Principal, Role
from community import services as registry
from pages.sessions import page_cookie
from pages.subject import ACTING_FOR_COOKIE
from pages.templating import page

PAGE_SIZE = 20
ACTING_MAX_AGE = 12 * 3600  # no longer than a staff sign-in lasts


@dataclass
class ActForm:
    passbook_number: str = ""


Form = Annotated[ActForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


async def chosen(conn: AsyncConnection, principal: Principal, *, number: str) -> community.Passbook:
    """The passbook an admin may act for (their unit's): refused otherwise, as every use
    case refuses it."""
    access.require_role(principal, Role.ADMIN)
    return await access.passbook_acted_for(conn, principal, number)


@get("/volunteers", include_in_schema=False)
async def chooser(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    search: Annotated[str | None, QueryParameter(name="q", max_length=64)] = None,
    after: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template:
    access.require_role(principal, Role.ADMIN)
    text = (search or "").strip()
    listing = await tx.read(
        registry.list_volunteers,
        principal,
        search=text or None,
        after=after or None,
        limit=PAGE_SIZE,
    )
    return page(request, "volunteers.html", search=text, listing=listing)


@post("/volunteers/act", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def act_for(
    request: Request[Any, Any, Any],
    data: Form,
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Redirect:
    number = community.normalise_passbook_number(data.passbook_number)
    passbook = await tx.read(chosen, principal, number=number)
    return Redirect(
        "/",
        status_code=HTTP_303_SEE_OTHER,
        cookies=[page_cookie(ACTING_FOR_COOKIE, passbook.number, ACTING_MAX_AGE, request)],
    )


@post("/volunteers/stop", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def stop_acting(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal]
) -> Redirect:
    return Redirect(
        "/volunteers",
        status_code=HTTP_303_SEE_OTHER,
        cookies=[page_cookie(ACTING_FOR_COOKIE, "", 0, request)],
    )


ROUTES: list[Any] = [chooser, act_for, stop_acting]
