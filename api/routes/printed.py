"""The printed passbook: a passbook's statement laid out in pages, each with the check code of
its last line, and the check anyone can make of a code typed from a printed page.

Who may print is decided by the use case (the statement's rule); the check needs no token and
answers only whether the code matches, in the language the request asks for.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

import db
import i18n
from access import Principal
from api.problems import problem_response, reader_locale
from api.schemas import GridRef
from api.schemas import printed as schemas
from community import services


@get(
    "/api/passbooks/{number:str}/printable",
    tags=["passbooks"],
    summary="A passbook's statement in pages to print, with a check code on each page",
    description="Page k holds lines (k-1)*N+1 to k*N, whenever it is printed (A5: 12 lines, "
    "A4: 24). Each page carries the balance brought forward and the check code of its last "
    "line, which anyone can later check at POST /api/check-codes/verification. Who may: as "
    "for the statement.",
)
async def printable(
    request: Request[Any, Any, Any],
    number: FromPath[str],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    lines_per_page: int = Parameter(default=services.A5_LINES, ge=4, le=60),
    first_page: int = Parameter(default=1, ge=1, le=1_000_000),
    last_page: int | None = Parameter(default=None, ge=1, le=1_000_000),
) -> schemas.PrintablePassbook:
    found = await tx.read(
        services.printable_passbook,
        principal,
        number=number,
        lines_per_page=lines_per_page,
        first_page=first_page,
        last_page=last_page,
    )
    locale = reader_locale(request)
    passbook = found.passbook
    return schemas.PrintablePassbook(
        number=passbook.number,
        holder=passbook.holder_name,
        grid=GridRef(code=passbook.grid_code, name=passbook.grid_name),
        lines_per_page=found.lines_per_page,
        pages_total=found.page_count,
        lines_total=found.line_count,
        printed_at=found.printed_at,
        pages=[
            schemas.PrintedPage(
                page=page.number,
                of=page.of,
                carried=page.carried,
                balance=page.balance,
                last_line=page.last_seq,
                check_code=page.check_code,
                full=page.full,
                lines=[
                    schemas.PrintedLine(
                        line=line.seq,
                        date=line.date,
                        for_date=line.effective_date,
                        recorded_at=line.recorded_at,
                        kind=line.kind,
                        kind_words=line.kind_words.render(locale),
                        what_for=line.what_for,
                        deposit=line.deposit,
                        withdrawal=line.withdrawal,
                        balance=line.balance,
                    )
                    for line in page.lines
                ],
            )
            for page in found.pages
        ],
    )


@post(
    "/api/check-codes/verification",
    exclude_from_auth=True,
    security=[{}],
    status_code=200,
    tags=["passbooks"],
    summary="Is a printed passbook page still the books' history?",
    description="Send the passbook number, the line number printed beside the check code and "
    "the code as typed (case, spaces and dashes do not matter; O is read as 0, I and L as 1). "
    "The answer says only whether the books' line still has that code: no name, no points. "
    "An unknown number, a line not there yet and a wrong code get the same answer. After 10 "
    "codes from one address that do not match within 10 minutes, checks wait (429 with "
    "Retry-After).",
    responses={
        422: problem_response("Not a check code (invalid_check_code), or a malformed request."),
        429: problem_response("Too many codes that did not match: wait Retry-After seconds."),
    },
)
async def check_code(
    request: Request[Any, Any, Any],
    data: JSONBody[schemas.CheckCodeIn],
    tx: NamedDependency[db.Transactions],
) -> schemas.CheckCodeOut:
    checked = await tx.write(
        services.check_printed_page,
        address=request.client.host if request.client else "unknown",
        number=data.number,
        seq=data.sequence,
        code=data.code,
    )
    return schemas.CheckCodeOut(
        matches=checked.matches, message=i18n.render(checked.sentence, reader_locale(request))
    )


ROUTES: list[Any] = [printable, check_code]
