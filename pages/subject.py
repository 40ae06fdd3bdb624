"""Whose passbook a volunteer page shows: the "subject".

Invariant: the subject is a volunteer's own passbook, or, for an admin (a grid worker), the
number in the ``passbook_acting_for`` cookie, set by ``POST /volunteers/act`` only after the
access module said the admin may act for that passbook. The cookie grants nothing by itself:
every page passes the subject to the same use cases as the API, and they check the
principal's scope, so a forged or stale cookie is refused there and nothing is shown or
written. Every other principal has no subject.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from access import Principal, Role

ACTING_FOR_COOKIE = "passbook_acting_for"


def acting_for(request: Request[Any, Any, Any]) -> str | None:
    """The passbook number the acting-for cookie names, if any (not yet checked)."""
    number = (request.cookies.get(ACTING_FOR_COOKIE) or "").strip()
    return number or None


def subject_number(request: Request[Any, Any, Any], principal: Principal) -> str | None:
    """The passbook the volunteer pages show for ``principal``: a volunteer's own; for an
    admin, the one they chose to act for (the cookie); else None."""
    if principal.role is Role.VOLUNTEER:
        return principal.scope
    if principal.role is Role.ADMIN:
        return acting_for(request)
    return None


__all__ = ["ACTING_FOR_COOKIE", "acting_for", "subject_number"]
