"""Volunteer sign-in, and the grid worker's unlock of a number's wait after wrong PINs.

Signing in needs no token: it is how a volunteer gets one. The use case runs its own short
transactions, so that the PIN's hash runs outside any of them (:mod:`community.services`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

import db
from access import Principal, Role
from api.auth import roles
from api.problems import problem_response
from api.routes.registry import volunteer_out
from api.schemas import registry as schemas
from community import services


@post(
    "/api/sign-in",
    exclude_from_auth=True,
    security=[{}],
    tags=["volunteers"],
    summary="A volunteer signs in with passbook number and PIN",
    description="Returns a volunteer token valid for 12 hours and a device value. After 3 "
    "wrong PINs in a row for a number (known or not) each further try must wait (429 with "
    "Retry-After: 30 s, doubling, at most 15 minutes); one client address likewise after 20. "
    "There is no lock: a sign-in that sends the device value of an earlier sign-in from that "
    "phone or browser is not slowed by other people's wrong PINs. A wrong number and a wrong "
    "PIN get the same answer (401). 503 when too many sign-ins run at once.",
    status_code=200,
    responses={
        401: problem_response("The passbook number or the PIN is wrong (which is not told)."),
        429: problem_response("Too many wrong sign-ins: wait Retry-After seconds."),
        503: problem_response("Too many sign-ins at this moment: retry after Retry-After."),
    },
)
async def sign_in(
    request: Request[Any, Any, Any],
    data: JSONBody[schemas.SignInIn],
    tx: NamedDependency[db.Transactions],
) -> schemas.SignInOut:
    # The use case runs its own short transactions: the PIN is hashed outside any of them.
    attempt = await services.sign_in(
        tx,
        passbook_number=data.passbook_number,
        pin=data.pin,
        address=request.client.host if request.client else "unknown",
        device=data.device,
    )
    signed_in = attempt.accepted()
    return schemas.SignInOut(
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        expires_in=int(signed_in.valid_for / timedelta(seconds=1)),
        passbook_number=signed_in.passbook_number,
        holder=signed_in.holder,
        device=signed_in.device,
    )


@post(
    "/api/volunteers/{number:str}/sign-in-wait/clear",
    guards=[roles(Role.ADMIN)],
    tags=["volunteers"],
    summary="Clear a volunteer's wait after wrong PINs (the grid worker's unlock)",
    description="Clears the count of wrong PINs for this passbook number and the wait it "
    "brought, without changing the PIN, so the volunteer can sign in at once.",
    status_code=200,
)
async def clear_sign_in_wait(
    number: FromPath[str],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> schemas.VolunteerOut:
    cleared = await tx.write(services.clear_sign_in_wait, principal, number=number)
    return volunteer_out(principal, cleared)


ROUTES: list[Any] = [sign_in, clear_sign_in_wait]
