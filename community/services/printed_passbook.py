"""Use cases of the printed passbook: the statement laid out in pages for printing, each page
with a check code from the account's hash chain at its last line; and the check anyone can
make later, with the code typed from a printed page, that the books still hold that history.

Invariants:

* page *k* of a passbook printed at *N* lines a page always holds the lines (the account's
  postings) numbered (k-1)·N+1 to k·N, whenever it is printed: a full page reprinted later is
  the same page with the same code, and only the last page grows. A page's carried balance is
  the balance after the last line of the page before it (0 on page 1), so the first line of
  page k+1 continues from the balance page k ends with;
* who may print is who may read the statement (:func:`passbook_balance`'s rule, the holder,
  the council of the grid, admins and auditors above it): no rule of its own;
* a check needs no credential and says only whether the code matches the posting at that line
  of that passbook: a passbook number no one holds, a line it does not have yet and a wrong
  code get the same answer, and no answer carries a name, an amount or a balance; checks that
  do not match are throttled per client address (:mod:`community._check_code_throttle`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import community
import db
import ledger
import scheme_time
from access import Principal
from community import _check_code_throttle as throttle
from community.errors import InvalidCheckCode
from community.services.books import passbook_balance
from i18n import N_, Message, _

A5_LINES = 12
"""Lines on an A5 page (148 x 210 mm): with text at 14 pt on rows of 8 mm, the holder's
heading and the foot with the check code in large type, twelve rows fill the page with room
for a hand-written note."""
A4_LINES = 24
"""Lines on an A4 page: twice A5's, so A4 page k ends on the same line (and so carries the
same check code) as A5 page 2k."""
LINES_PER_PAGE = {"a5": A5_LINES, "a4": A4_LINES}
MIN_LINES_PER_PAGE = 4
MAX_LINES_PER_PAGE = 60
MAX_PAGES = 100
"""Pages one request may lay out (2,400 lines on A4); print a longer passbook in parts."""

KIND_WORDS: dict[str, str] = {
    "opening": N_("Carried over from the paper passbook"),
    "adjustment": N_("Points added by the office"),
    "scoring": N_("Points for volunteering"),
    "incentive": N_("Bonus points"),
    "correction": N_("Correction"),
    "reversal": N_("Reversal"),
    "voucher": N_("Reward exchanged"),
}
"""Each kind of entry a passbook shows, in words a person reads (the catalogue has them in
Chinese). A kind not named here is shown as "Other"."""


def kind_words(kind: str) -> Message:
    """What kind of line this is, in words: ``scoring`` is "Points for volunteering"."""
    return _(KIND_WORDS[kind]) if kind in KIND_WORDS else _("Other")


@dataclass(frozen=True, slots=True)
class PrintedLine:
    """One line of the printed passbook, as a bank passbook prints it."""

    seq: int
    """The line's number: the account's posting sequence, 1 for the first line ever."""
    date: dt.date
    """The day the line was written into the books, in China Standard Time."""
    effective_date: dt.date
    """The day the points are for (a sheet's activity day, a paper passbook's date)."""
    recorded_at: datetime
    """When it was written, aware UTC (show it with :func:`scheme_time.format_moment`)."""
    kind: str
    kind_words: Message
    what_for: str
    """摘要: the entry's memo as it was written."""
    deposit: int | None
    """存入: points in, or None."""
    withdrawal: int | None
    """支出: points out (a positive number), or None."""
    balance: int
    """余额: the balance after this line."""


@dataclass(frozen=True, slots=True)
class PrintedPage:
    """One printed page: its lines, the balance carried onto it, and its check code."""

    number: int
    """1-based; page k holds lines (k-1)*N+1 to k*N."""
    of: int
    """How many pages the whole passbook has at this lines-per-page."""
    carried: int
    """The balance brought forward from the page before (0 on page 1)."""
    lines: tuple[PrintedLine, ...]
    balance: int
    """The balance after the page's last line."""
    last_seq: int
    """The last line's number: printed beside the check code, typed with it to check."""
    check_code: str
    """``XXXX-XXXX``: :func:`ledger.check_code` of the last line's chain hash."""
    full: bool
    """Whether the page has all its lines; the last page may not yet."""


@dataclass(frozen=True, slots=True)
class PrintablePassbook:
    """The pages asked for of a passbook's statement, and whose it is."""

    passbook: community.Passbook
    """Number, holder_name, grid_code, grid_name."""
    lines_per_page: int
    page_count: int
    """The passbook's pages in all (0 when it has no lines yet)."""
    line_count: int
    pages: tuple[PrintedPage, ...]
    printed_at: datetime


def _check_layout(lines_per_page: int, first_page: int, last_page: int | None) -> None:
    if not MIN_LINES_PER_PAGE <= lines_per_page <= MAX_LINES_PER_PAGE:
        raise db.InvalidRequest(
            _(
                "A printed page holds {least} to {most} lines (A5: {a5}, A4: {a4}).",
                least=MIN_LINES_PER_PAGE,
                most=MAX_LINES_PER_PAGE,
                a5=A5_LINES,
                a4=A4_LINES,
            )
        )
    if first_page < 1 or (last_page is not None and last_page < first_page):
        raise db.InvalidRequest(
            _("Pages are counted from 1, and the last page cannot come before the first.")
        )


def _line(line: ledger.StatementLine) -> PrintedLine:
    return PrintedLine(
        seq=line.seq,
        date=scheme_time.local_date(line.created_at),
        effective_date=line.effective_date,
        recorded_at=line.created_at,
        kind=line.kind,
        kind_words=kind_words(line.kind),
        what_for=line.memo,
        deposit=line.amount if line.amount > 0 else None,
        withdrawal=-line.amount if line.amount < 0 else None,
        balance=line.balance_after,
    )


async def _lines(
    conn: AsyncConnection, account_id: ledger.AccountId, after: int, upto: int
) -> list[ledger.StatementLine]:
    """Lines after ``after`` up to ``upto``, oldest first (postings are never changed, so
    reading them in several pages gives one consistent history)."""
    lines: list[ledger.StatementLine] = []
    cursor = after
    while cursor < upto:
        page = await ledger.statement(
            conn, account_id, limit=min(ledger.MAX_PAGE, upto - cursor), after=cursor
        )
        if not page.lines:
            break
        lines.extend(line for line in page.lines if line.seq <= upto)
        cursor = page.lines[-1].seq
    return lines


async def printable_passbook(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    lines_per_page: int = A5_LINES,
    first_page: int = 1,
    last_page: int | None = None,
    now: datetime | None = None,
) -> PrintablePassbook:
    """Pages ``first_page`` to ``last_page`` (default: to the last) of passbook ``number``'s
    statement at ``lines_per_page`` lines a page, each with its carried balance and check code.

    Who: as for the statement (the holder, the council of its grid, admins and auditors above
    it). Refuses a page size outside 4-60 lines, more than 100 pages at once, and pages the
    passbook does not have (:class:`db.InvalidRequest`)."""
    _check_layout(lines_per_page, first_page, last_page)
    found = await passbook_balance(conn, principal, number=number)
    count = found.balance.posting_count
    page_count = -(-count // lines_per_page)
    last = page_count if last_page is None else last_page
    if count and (first_page > page_count or last > page_count):
        raise db.InvalidRequest(
            _(
                "Passbook {number} has {pages} pages of {lines} lines so far; there is no "
                "page {page} yet.",
                number=found.passbook.number,
                pages=page_count,
                lines=lines_per_page,
                page=max(first_page, last),
            )
        )
    if last - first_page + 1 > MAX_PAGES:
        raise db.InvalidRequest(
            _("Print at most {most} pages at a time.", most=MAX_PAGES), pages=page_count
        )
    pages: list[PrintedPage] = []
    if count:
        start = (first_page - 1) * lines_per_page
        upto = min(last * lines_per_page, count)
        read = await _lines(conn, found.passbook.account_id, max(start - 1, 0), upto)
        carried = 0
        if start > 0:
            before, read = read[0], read[1:]
            carried = before.balance_after
        chunks = [read[i : i + lines_per_page] for i in range(0, len(read), lines_per_page)]
        points = await ledger.chain_points(
            conn, found.passbook.account_id, [chunk[-1].seq for chunk in chunks]
        )
        for page_number, chunk in zip(range(first_page, last + 1), chunks, strict=True):
            closing = chunk[-1]
            pages.append(
                PrintedPage(
                    number=page_number,
                    of=page_count,
                    carried=carried,
                    lines=tuple(_line(line) for line in chunk),
                    balance=closing.balance_after,
                    last_seq=closing.seq,
                    check_code=points[closing.seq].check_code,
                    full=len(chunk) == lines_per_page,
                )
            )
            carried = closing.balance_after
    return PrintablePassbook(
        passbook=found.passbook,
        lines_per_page=lines_per_page,
        page_count=page_count,
        line_count=count,
        pages=tuple(pages),
        printed_at=now or scheme_time.utcnow(),
    )


@dataclass(frozen=True, slots=True)
class PageCheck:
    """The answer to a typed check code: whether it matches, and a sentence saying what that
    means. Nothing else: no name, no amount, no balance."""

    matches: bool
    sentence: Message


async def _passbook_for_check(conn: AsyncConnection, number: str) -> community.Passbook | None:
    typed = community.normalise_passbook_number(number)
    found = await community.find_passbook(conn, typed)
    if found is None:  # typed with O for 0 or I for 1: registration keeps such numbers apart
        lookalike = await community.find_lookalike(conn, typed)
        found = await community.find_passbook(conn, lookalike[0]) if lookalike else None
    return found


async def check_printed_page(
    conn: AsyncConnection,
    *,
    address: str,
    number: str,
    seq: int,
    code: str,
    now: datetime | None = None,
) -> PageCheck:
    """Whether the posting at line ``seq`` of passbook ``number`` still has the chain hash
    whose check code is ``code`` (typed from a printed page): that is, whether the printed
    history up to that line is still the books' history.

    Who: anyone, no credential; checks that do not match are counted per client ``address``,
    and too many in a short time are refused (:class:`community.TooManyCheckCodes`, with how
    long to wait). A code that is not eight characters of the alphabet is refused
    (:class:`community.InvalidCheckCode`) without being counted."""
    printed = ledger.normalise_check_code(code)
    if printed is None:
        raise InvalidCheckCode()
    moment = now or scheme_time.utcnow()
    taken = await throttle.take_place(conn, address, moment)
    found = await _passbook_for_check(conn, number)
    point = None
    if found is not None and seq >= 1:
        point = (await ledger.chain_points(conn, found.account_id, [seq])).get(seq)
    if found is None or point is None or not ledger.same_code(printed, point.chain_hash):
        return PageCheck(
            False,
            _(
                "Check code {code} does not match line {line} of passbook {number}. Check the "
                "passbook number, the line number and the code as printed at the foot of the "
                "page; if they are right, this page is not the books' history: please take it "
                "to your community office.",
                code=printed,
                line=seq,
                number=community.normalise_passbook_number(number),
            ),
        )
    await throttle.give_back(conn, address, taken)
    return PageCheck(
        True,
        _(
            "Check code {code} matches line {line} of passbook {number}: the books still hold "
            "the history printed up to that line, unchanged.",
            code=printed,
            line=seq,
            number=found.number,
        ),
    )
