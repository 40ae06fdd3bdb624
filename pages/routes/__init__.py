"""The pages' routes, one module per area; :data:`ROUTES` is what the app registers.

A page route is a litestar handler like the API's: it takes ``principal`` and ``tx`` as
``NamedDependency`` (the principal comes from the session cookie), calls the same use case
as the API, and answers with :func:`pages.templating.page`. A volunteer page (the subject's
passbook, rewards, vouchers, ballots) takes ``subject`` instead, which holds all three and the
passbook number the page shows (:mod:`pages.routes._subject`). Routes a stranger may open say
``exclude_from_auth=True``.
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from pages.routes import (
    ballots,
    counter,
    counter_books,
    home,
    language,
    passbook,
    printed,
    rewards,
    signin,
    signin_code,
    volunteers,
    vouchers,
)
from pages.routes._subject import SUBJECT

HANDLERS: list[Any] = [
    *signin.ROUTES,
    *home.ROUTES,
    *language.ROUTES,
    *counter.ROUTES,
    *counter_books.ROUTES,
    *passbook.ROUTES,
    *rewards.ROUTES,
    *vouchers.ROUTES,
    *signin_code.ROUTES,
    *volunteers.ROUTES,
    *ballots.ROUTES,
    *printed.ROUTES,
]
ROUTES: list[Any] = [Router("/", route_handlers=HANDLERS, dependencies=SUBJECT)]
"""Every page handler, under one router that provides the volunteer pages' ``subject``
(:class:`pages.routes._subject.Subject`; a handler that does not ask for it never makes it)."""

__all__ = ["ROUTES"]
