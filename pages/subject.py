"""Whose passbook the volunteer pages show: the "subject" of a page.

Invariants:

* a volunteer's pages always show their own passbook (whatever cookie the browser holds);
* an admin's pages show the passbook named in the ``passbook_acting_for`` cookie (set when a
  grid worker chooses a volunteer to act for), and no passbook without it; no other role
  acts for anyone;
* the cookie grants nothing: every page reads and acts through the use cases, which check the
  principal's scope (a forged number outside the admin's grid is refused there), and the
  books record the principal (the admin) as who acted;
* a page shown to an admin acting for a volunteer says so on every page (the band of
  ``_acting.html``): with the holder's name where the page read their passbook
  (:func:`acting`), else with the cookie's number (:func:`acting_by_cookie`, what
  :func:`pages.templating.page` shows by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from access import Principal, Role
from community.services import PassbookBalance

ACTING_FOR_COOKIE = "passbook_acting_for"
"""The passbook number an admin's session acts for (set by the grid worker's chooser)."""


def subject_number(request: Request[Any, Any, Any], principal: Principal) -> str | None:
    """The passbook the volunteer pages show to ``principal``: a volunteer's own; for an admin,
    the number in the ``passbook_acting_for`` cookie; otherwise None (the page sends them
    elsewhere: :func:`elsewhere`)."""
    if principal.role is Role.VOLUNTEER:
        return principal.scope
    if principal.role is Role.ADMIN:
        return acting_for(request)
    return None


def acting_for(request: Request[Any, Any, Any]) -> str | None:
    """The passbook number the acting-for cookie names, if any (not yet checked: the use
    cases check it)."""
    chosen = request.cookies.get(ACTING_FOR_COOKIE, "").strip().upper()
    return chosen or None


class NoSubject(Exception):
    """A volunteer page was opened by a caller it has no passbook for; the pages' error
    handlers answer it with :func:`elsewhere`."""

    def __init__(self, principal: Principal) -> None:
        super().__init__("no passbook to show")
        self.principal = principal


def elsewhere(principal: Principal) -> Redirect:
    """Where a volunteer page sends a caller it has no passbook for: an admin to the chooser
    of volunteers (``/volunteers``), anyone else to the home page."""
    target = "/volunteers" if principal.role is Role.ADMIN else "/"
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


@dataclass(frozen=True, slots=True)
class Acting:
    """A staff member acting for a volunteer: whose passbook, and the holder's name when the
    page has read it (None: the band gives the number and the way back to the chooser)."""

    number: str
    name: str | None = None


def acting(principal: Principal, found: PassbookBalance) -> Acting | None:
    """The band's content when ``principal`` is not the passbook's holder, else None."""
    if principal.role is Role.VOLUNTEER:
        return None
    return Acting(found.passbook.number, found.passbook.holder_name)


def acting_by_cookie(request: Request[Any, Any, Any], principal: Any) -> Acting | None:
    """The band of a page that has not read the holder's passbook: the number an admin's
    acting-for cookie names, if any; None for anyone else (``principal`` is who is signed
    in, or None)."""
    if not isinstance(principal, Principal) or principal.role is not Role.ADMIN:
        return None
    number = acting_for(request)
    return None if number is None else Acting(number)


__all__ = [
    "ACTING_FOR_COOKIE",
    "Acting",
    "NoSubject",
    "acting",
    "acting_by_cookie",
    "acting_for",
    "elsewhere",
    "subject_number",
]
