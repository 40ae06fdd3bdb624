"""The roster in and out: importing the volunteers a street office keeps in a spreadsheet, and
listing a unit's volunteers for one.

Who may do what: an admin imports into the grids under their own unit (a row for another grid
is a problem of that row: "not in your unit"); the :data:`OPERATOR` at the command line, who
holds the database, imports into any grid. Admins and auditors list the volunteers under their
unit; a phone is whole only to an admin over the volunteer's grid (and to the operator),
masked to anyone else, as everywhere.

Invariants: an import is one transaction and all or nothing: a file with any problem saves
nothing and the refusal (:class:`community.RosterRejected`) lists every problem by row and
column; a dry run saves nothing and says what an import would do; rows identical to what
is registered are unchanged, so importing a file again changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import export
import ledger
from access import Principal, Role
from community.services.tokens import OPERATOR
from i18n import _
from scheme_time import scheme_today

MAX_ROSTER_ROWS = 10_000
"""The most rows one roster file may have; a larger roster is split into several files."""


@dataclass(frozen=True, slots=True)
class RosterImport:
    """What an import did, or with ``dry_run`` would do: how many rows the file has, how many
    are new and how many unchanged, the passbooks registered now (none in a dry run), every
    problem found and the columns it did not read."""

    dry_run: bool
    read_as: str
    rows: int
    new: int
    unchanged: int
    registered: list[str]
    problems: list[community.RosterProblem]
    ignored_columns: list[str]


@dataclass(frozen=True, slots=True)
class RosterVolunteer:
    """One volunteer of a roster export, the phone as the caller may see it."""

    passbook_number: str
    name: str
    grid_code: str
    grid_name: str
    phone: str | None
    phone_masked: bool
    joined_on: date
    status: str
    balance: int


@dataclass(frozen=True, slots=True)
class Roster:
    """The volunteers under one org unit (its code; empty for every unit), by number."""

    unit: str
    volunteers: list[RosterVolunteer]


def _administers(principal: Principal, path: str) -> bool:
    return principal == OPERATOR or access.admin_over(principal, path)


async def import_roster(
    conn: AsyncConnection,
    principal: Principal,
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RosterImport:
    """Register the volunteers of a roster file (``.xlsx`` or ``.csv`` in UTF-8, UTF-8 with a
    byte-order mark, GBK or GB18030; columns 存折号, 姓名, 网格, 电话, 入册日期 or their English
    names), all or nothing; with ``dry_run``, only say what that would do.

    Who: an admin, for rows of grids under their own unit; the operator for any grid. Refuses
    another role (:class:`access.Forbidden`), a file that cannot be read as a table
    (:class:`export.UnreadableTable`) and, unless ``dry_run``, a file with any problem
    (:class:`community.RosterRejected`, every problem in ``figures['problems']``)."""
    access.require_role(principal, Role.ADMIN)
    table = export.read_table(data, filename, max_rows=MAX_ROSTER_ROWS)
    check = await community.check_roster(
        conn,
        table,
        may_administer=lambda path: _administers(principal, path),
        today=scheme_today(now),
    )
    if check.problems and not dry_run:
        rows = sorted({p.row for p in check.problems})
        raise community.RosterRejected(
            _(
                "The roster has {problems_count} problem(s) on {rows_count} row(s) and "
                "nothing was saved; 'problems' lists each by row and column. Correct "
                "the file and import it again (a dry run checks it without saving).",
                problems_count=len(check.problems),
                rows_count=len(rows),
            ),
            problems=[asdict(p) for p in check.problems],
            rows=check.rows,
            new=len(check.new),
            unchanged=check.unchanged,
        )
    registered: list[str] = []
    if not dry_run:
        for entry in check.new:
            passbook, _created = await community.enrol_volunteer(
                conn,
                passbook_number=entry.passbook_number,
                name=entry.name,
                grid_code=entry.grid_code,
                phone=entry.phone,
                joined_on=entry.joined_on,
                now=now,
                lookalikes_checked=True,  # check_roster compared them all, just now
            )
            registered.append(passbook.number)
    return RosterImport(
        dry_run=dry_run,
        read_as=check.read_as,
        rows=check.rows,
        new=len(check.new),
        unchanged=check.unchanged,
        registered=registered,
        problems=check.problems,
        ignored_columns=check.ignored_columns,
    )


async def export_roster(
    conn: AsyncConnection, principal: Principal, *, unit: str | None = None
) -> Roster:
    """The volunteers of every grid under org unit ``unit`` (the caller's own by default), by
    passbook number, with their grid, phone, joining day, status and balance.

    Who: admins and auditors, in their own unit; the operator, anywhere (every unit by
    default). Phones are masked but to an admin over the volunteer's grid."""
    if principal == OPERATOR:
        if unit is None:
            code, path = "", None
        else:
            found = await community.get_org_unit(conn, unit)
            code, path = found.code, found.path
    else:
        access.require_role(principal, Role.ADMIN, Role.AUDITOR)
        code, path = await access.org_unit_listed_for(conn, principal, unit)
    lines = await community.roster_lines(conn, under_path=path)
    balances: dict[ledger.AccountId, ledger.Balance] = {}
    accounts = [line.account_id for line in lines]
    for start in range(0, len(accounts), 500):
        balances |= await ledger.get_balances(conn, accounts[start : start + 500])
    volunteers = []
    for line in lines:
        whole = _administers(principal, line.grid_path)
        volunteers.append(
            RosterVolunteer(
                passbook_number=line.passbook_number,
                name=line.name,
                grid_code=line.grid_code,
                grid_name=line.grid_name,
                phone=line.phone if whole else community.mask_phone(line.phone),
                phone_masked=not whole and line.phone is not None,
                joined_on=line.joined_on,
                status=line.status,
                balance=balances[line.account_id].posted,
            )
        )
    return Roster(code, volunteers)


ROSTER_COLUMNS = ["存折号", "姓名", "网格", "网格名称", "电话", "入册日期", "状态", "余额"]
"""The roster export's header: its first five columns import back as they are."""
STATUS_NAMES = {"active": "在册", "moved_away": "已迁出"}


def roster_rows(roster: Roster) -> list[list[object]]:
    """The roster as the rows of :data:`ROSTER_COLUMNS`, for CSV or ``.xlsx``."""
    return [
        [
            v.passbook_number,
            v.name,
            v.grid_code,
            v.grid_name,
            v.phone,
            v.joined_on,
            STATUS_NAMES.get(v.status, v.status),
            v.balance,
        ]
        for v in roster.volunteers
    ]


__all__ = [
    "MAX_ROSTER_ROWS",
    "ROSTER_COLUMNS",
    "Roster",
    "RosterImport",
    "RosterVolunteer",
    "export_roster",
    "import_roster",
    "roster_rows",
]
