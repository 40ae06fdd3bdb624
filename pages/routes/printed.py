"""The printed passbook (``/passbooks/{number}/print``) and the check of a printed page
(``/check``).

Invariants:

* the print page shows exactly what :func:`community.services.printable_passbook` answers (its
  pages, carried balances and check codes) and who may print is that use case's rule (the
  holder, the council of the grid, admins and auditors above it): none of its own here;
* a check is :func:`community.services.check_printed_page` itself, with the client's address,
  so its throttle is the API's; the verdict page says only what the use case says (whether
  the code matches), never a name or a figure, and a refusal (not a code, too many wrong
  codes) is shown on the form in words, the typed values kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncConnection

import db
from access import Principal
from api.problems import status_of
from community import services
from i18n import Message, _
from pages.errors import with_retry_after
from pages.templating import page

DEFAULT_PAGES = 10
"""Pages shown when none are asked for: the last ten (a grid worker prints the new ones)."""
SIZES = {"a5": services.A5_LINES, "a4": services.A4_LINES}


async def _pages(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    lines_per_page: int,
    first: int | None,
    last: int | None,
) -> services.PrintablePassbook:
    """The pages asked for, or the last :data:`DEFAULT_PAGES` when none are, in one read."""
    if first is None and last is None:
        found = await services.passbook_balance(conn, principal, number=number)
        page_count = -(-found.balance.posting_count // lines_per_page)
        first = max(1, page_count - DEFAULT_PAGES + 1)
    return await services.printable_passbook(
        conn,
        principal,
        number=number,
        lines_per_page=lines_per_page,
        first_page=first or 1,
        last_page=last,
    )


def check_address(request: Request[Any, Any, Any]) -> str:
    """The address of the check page, as printed on each page (this service's own)."""
    return f"{str(request.base_url).rstrip('/')}/check"


@get("/passbooks/{number:str}/print", include_in_schema=False)
async def print_page(
    request: Request[Any, Any, Any],
    number: FromPath[str],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    size: FromQuery[str] = "a5",
    first: FromQuery[int | None] = None,
    last: FromQuery[int | None] = None,
) -> Template:
    size = size.lower()
    if size not in SIZES:
        raise db.InvalidRequest(_("A printed passbook is A5 or A4 (size=a5 or size=a4)."))
    book = await tx.read(
        _pages, principal, number=number, lines_per_page=SIZES[size], first=first, last=last
    )
    return page(
        request,
        "print.html",
        book=book,
        size=size,
        check_url=check_address(request),
        first=book.pages[0].number if book.pages else 1,
        last=book.pages[-1].number if book.pages else 1,
    )


@dataclass
class CheckForm:
    number: str = ""
    sequence: str = ""
    code: str = ""


Form = Annotated[CheckForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _check_form(
    request: Request[Any, Any, Any],
    form: CheckForm,
    *,
    refusal: str | Message | None = None,
    status_code: int = 200,
) -> Template:
    return page(request, "check.html", form=form, refusal=refusal, status_code=status_code)


@get("/check", exclude_from_auth=True, include_in_schema=False)
async def check_page(
    request: Request[Any, Any, Any], number: FromQuery[str] = "", sequence: FromQuery[str] = ""
) -> Template:
    return _check_form(request, CheckForm(number=number[:64], sequence=sequence[:12]))


@post("/check", exclude_from_auth=True, include_in_schema=False, status_code=200)
async def check(
    request: Request[Any, Any, Any],
    data: Form,
    tx: NamedDependency[db.Transactions],
) -> Template:
    form = CheckForm(data.number.strip()[:64], data.sequence.strip()[:12], data.code.strip()[:32])
    typed = form.sequence.translate(_FULL_WIDTH_DIGITS)
    if not form.number or not typed.isdecimal() or not 1 <= int(typed) <= 10**9:
        refusal = _(
            "Type the passbook number and the line number printed beside the check code "
            "(for example 24), then the code."
        )
        return _check_form(request, form, refusal=refusal, status_code=422)
    try:
        verdict = await tx.write(
            services.check_printed_page,
            address=request.client.host if request.client else "unknown",
            number=form.number,
            seq=int(typed),
            code=form.code,
        )
    except db.DomainError as refused:
        status, _title = status_of(refused)
        response = _check_form(request, form, refusal=refused.message, status_code=status)
        return with_retry_after(response, refused)
    return page(request, "check_verdict.html", verdict=verdict, form=form)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

ROUTES: list[Any] = [print_page, check_page, check]
