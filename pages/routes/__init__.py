"""The pages' routes, one module per area; :data:`ROUTES` is what the app registers.

A page route is a litestar handler like the API's: it takes ``principal`` and ``tx`` as
``NamedDependency`` (the principal comes from the session cookie), calls the same use case
as the API, and answers with :func:`pages.templating.page`. Routes a stranger may open say
``exclude_from_auth=True``.
"""

from __future__ import annotations

from typing import Any

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

ROUTES: list[Any] = [
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

__all__ = ["ROUTES"]
