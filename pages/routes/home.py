"""The volunteer's home page: the balance, large, what the held points are for, and the way
to everything else.

Invariant: the figures are those of the use cases the API answers with
(:func:`community.services.passbook_balance`, :func:`rewards.services.passbook_vouchers`),
read in one transaction, so the held points explained add up to the held points shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import rewards
from access import Principal, Role
from community import services as registry
from community.services import PassbookBalance
from pages.routes._subject import subject_of
from pages.subject import elsewhere
from pages.templating import page
from rewards import services as exchange


@dataclass(frozen=True, slots=True)
class Home:
    """A volunteer's balance, and how much of what is held is held for unused vouchers."""

    found: PassbookBalance
    vouchers: int
    voucher_points: int

    @property
    def other_held(self) -> int:
        """Held points not held for an unused voucher (ballot applications, and vouchers past
        their date whose points are not yet given back)."""
        return max(0, self.found.balance.held - self.voucher_points)


async def home_of(conn: AsyncConnection, principal: Principal, *, number: str) -> Home:
    found = await registry.passbook_balance(conn, principal, number=number)
    unused = await exchange.passbook_vouchers(
        conn,
        principal,
        number=number,
        status=rewards.VoucherStatus.ISSUED,
        limit=exchange.MAX_VOUCHER_PAGE,
    )
    vouchers = unused.page.items
    return Home(found, len(vouchers), sum(v.points for v in vouchers))


@get("/", include_in_schema=False)
async def home(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template | Redirect:
    subject = subject_of(request, principal, tx)
    if subject is None:
        if principal.role is Role.ADMIN:  # a grid worker first chooses whom to act for
            return elsewhere(principal)
        return page(request, "home_staff.html")
    found = await subject.read(home_of)
    return subject.page("home.html", found.found, home=found)


ROUTES: list[Any] = [home]
