"""The passbook as a bank passbook: page by page, oldest line first on each page, the balance
after every line.

Invariants: page *k* holds the lines (postings) numbered (k-1)·N+1 to k·N with N =
:data:`LINES_PER_PAGE`, the same lines as page *k* of the printed A5 passbook, so the screen
and the paper agree line for line; the first page shown is the latest (where a bank passbook
is opened to write the next line). The lines and the balance come from the use cases the API
answers with (:func:`community.services.passbook_statement`, ``passbook_balance``), read in
one transaction, so the held points explained match the balance shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncConnection

import scheme_time
from access import Principal
from community import services as registry
from community.services import PassbookBalance
from community.services.printed_passbook import A5_LINES, kind_words
from i18n import Message
from pages.routes._subject import Subject
from pages.routes.home import Home, home_of

LINES_PER_PAGE = A5_LINES
"""Lines on a screen page: the printed A5 page's, so page k on screen is page k on paper."""
MAX_PAGE = 10**9


@dataclass(frozen=True, slots=True)
class Line:
    """One passbook line as a person reads it."""

    seq: int
    day: date
    """The day it was written into the books, in China Standard Time."""
    what: Message
    memo: str
    deposit: int | None
    withdrawal: int | None
    balance: int


@dataclass(frozen=True, slots=True)
class PassbookPage:
    home: Home
    number: int
    of: int
    carried: int
    lines: list[Line]

    @property
    def found(self) -> PassbookBalance:
        return self.home.found


async def passbook_page(
    conn: AsyncConnection, principal: Principal, *, number: str, page_number: int | None
) -> PassbookPage:
    home = await home_of(conn, principal, number=number)
    count = home.found.balance.posting_count
    pages = max(1, -(-count // LINES_PER_PAGE))
    k = pages if page_number is None else min(max(1, page_number), pages)
    lines: list[Line] = []
    carried = 0
    if count:
        found = await registry.passbook_statement(
            conn,
            principal,
            number=number,
            limit=LINES_PER_PAGE,
            after=(k - 1) * LINES_PER_PAGE,
        )
        for line in found.page.lines:
            lines.append(
                Line(
                    seq=line.seq,
                    day=scheme_time.local_date(line.created_at),
                    what=kind_words(line.kind),
                    memo=line.memo,
                    deposit=line.amount if line.amount > 0 else None,
                    withdrawal=-line.amount if line.amount < 0 else None,
                    balance=line.balance_after,
                )
            )
        if found.page.lines:
            first = found.page.lines[0]
            carried = first.balance_after - first.amount
    return PassbookPage(home, k, pages, carried, lines)


@get("/passbook", include_in_schema=False)
async def passbook(
    subject: NamedDependency[Subject],
    page_number: Annotated[int | None, QueryParameter(name="page", ge=1, le=MAX_PAGE)] = None,
) -> Template:
    found = await subject.read(passbook_page, page_number=page_number)
    return subject.page("passbook.html", found.found, book=found, home=found.home)


ROUTES: list[Any] = [passbook]
