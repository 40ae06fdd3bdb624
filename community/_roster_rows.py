"""The cells of a roster file's rows, cleaned: which column is which (Chinese or English
headers), and each row's passbook number, name, grid, phone and joining day.

Invariant: a cell that cannot be cleaned becomes a problem naming its row, its column (as the
file's header names it) and a stable code; it is never registered as given, and the other
cells of the file are still checked, so that every problem is told at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import export
from community._cleaning import clean_name, clean_passbook_number, clean_phone
from community._tables import org_unit
from community.errors import InvalidPerson
from i18n import Message, _

# Field -> the headers it is known by (compared case-insensitively, spaces trimmed).
HEADERS: dict[str, tuple[str, ...]] = {
    "passbook_number": ("存折号", "存折编号", "passbook_number", "number", "passbook"),
    "name": ("姓名", "name"),
    "grid": ("网格", "grid"),
    "phone": ("电话", "联系电话", "手机", "phone"),
    "joined_on": ("入册日期", "joined_on", "joined"),
}
REQUIRED = ("passbook_number", "name", "grid")
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?"
)


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """One problem of a roster file: the spreadsheet row, the column's header as the file
    names it (empty for the file as a whole), a stable code and what to do."""

    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A row of the file as it will be registered."""

    row: int
    passbook_number: str
    name: str
    grid_code: str
    phone: str | None
    joined_on: date | None


@dataclass(slots=True)
class RosterCheck:
    """A roster file checked: the rows to register, how many are unchanged, every problem."""

    read_as: str
    rows: int = 0
    new: list[RosterEntry] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RosterProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Unit:
    """An org unit as a roster row may name it (by code, or a grid by name)."""

    id: int
    code: str
    name: str
    path: str
    kind: str
    closed: bool


def roster_columns(table: export.Table, check: RosterCheck) -> dict[str, str]:
    """Field -> the file's header for it; missing required columns are problems."""
    known = {alias.casefold(): f for f, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, str] = {}
    for header in table.headers:
        name = known.get(header.strip().casefold())
        if name is None or name in columns:
            check.ignored_columns.append(header)
        else:
            columns[name] = header
    if not columns:
        raise export.NoHeaderRow(
            _(
                "The first row must be the header row naming the columns 存折号, 姓名, 网格 "
                "and optionally 电话 and 入册日期 (or passbook_number, name, grid, phone, "
                "joined_on); found {headers}.",
                headers=_shown(table.headers),
            )
        )
    for name in REQUIRED:
        if name not in columns:
            check.problems.append(
                RosterProblem(
                    table.header_row,
                    HEADERS[name][0],
                    "missing_column",
                    f"The file has no {HEADERS[name][0]} ({name}) column; add it to the header "
                    "row.",
                )
            )
    return columns


def _shown(headers: list[str]) -> str | Message:
    """The first few headers, each cut short, as a message quotes them."""
    shown = [h if len(h) <= 40 else h[:40] + "…" for h in headers[:10]]
    return ", ".join(shown) + (", …" if len(headers) > 10 else "") if shown else _("none")


def parse_day(value: export.Cell, column: str, today: date) -> date:
    """A day from a spreadsheet cell: a date cell, or text 2019-03-01, 2019/3/1 or
    2019年3月1日; not after today. ``column`` names the cell in the refusal."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        match = _DATE.fullmatch(value or "")
        try:
            value = date(*(int(g) for g in match.groups())) if match else None
        except ValueError:
            value = None
        if value is None:
            raise InvalidPerson(
                _(
                    "{column} must be a date: a date cell, or written 2019-03-01, 2019/3/1 "
                    "or 2019年3月1日.",
                    column=column,
                )
            )
    if value > today:
        raise InvalidPerson(
            _(
                "{column} {value} is after today; it must be a day already past.",
                column=column,
                value=value,
            )
        )
    return value


def parse_joined_on(value: export.Cell, today: date) -> date:
    """入册日期, the day the volunteer joined the scheme."""
    return parse_day(value, "入册日期", today)


async def all_units(conn: AsyncConnection) -> list[Unit]:
    rows = await conn.execute(
        select(
            org_unit.c.id,
            org_unit.c.code,
            org_unit.c.name,
            org_unit.c.path,
            org_unit.c.kind,
            org_unit.c.closed_at.is_not(None),
        )
    )
    return [Unit(*row) for row in rows]


class _Refused(Exception):
    """A cell refused with its own code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _find_grid(given: str, units: list[Unit], may_administer: Callable[[str], bool]) -> Unit:
    by_code = [u for u in units if u.code == given.strip().lower()]
    if by_code:
        unit = by_code[0]
    else:
        named = [
            u for u in units if u.kind == "grid" and u.name == given and may_administer(u.path)
        ]
        if len(named) > 1:
            codes = ", ".join(u.code for u in named)
            raise _Refused(
                "ambiguous_grid", f"Several grids are named {given!r} ({codes}); write the code."
            )
        if not named:
            raise _Refused("unknown_grid", f"No grid with the code or name {given!r}.")
        unit = named[0]
    if not may_administer(unit.path):
        raise _Refused(
            "not_in_your_unit",
            f"Grid {given!r} is not in your unit: an admin imports into the grids under their "
            "own unit only.",
        )
    if unit.kind != "grid":
        raise _Refused("not_a_grid", f"{given!r} is a {unit.kind}, not a grid.")
    return unit


def cell_text(cell: export.Cell) -> str | None:
    if cell is None or isinstance(cell, str):
        return cell
    return cell.isoformat()


def parse_row(
    row: export.TableRow,
    columns: dict[str, str],
    units: list[Unit],
    may_administer: Callable[[str], bool],
    today: date,
    check: RosterCheck,
) -> tuple[RosterEntry, Unit] | None:
    """The row cleaned, or None with its problems added to ``check``."""
    values: dict[str, Any] = {}
    before = len(check.problems)
    cleaners: dict[str, Callable[[export.Cell], Any]] = {
        "passbook_number": lambda c: clean_passbook_number(cell_text(c) or ""),
        "name": lambda c: clean_name(cell_text(c) or ""),
        "grid": lambda c: _find_grid(cell_text(c) or "", units, may_administer),
        "phone": lambda c: clean_phone(cell_text(c)),
        "joined_on": lambda c: None if c is None else parse_joined_on(c, today),
    }
    for name, header in columns.items():
        cell = row.get(header)
        if cell is None and name in REQUIRED:
            check.problems.append(
                RosterProblem(row.number, header, "required", f"{header} is empty; fill it in.")
            )
            continue
        try:
            values[name] = cleaners[name](cell)
        except InvalidPerson as error:
            check.problems.append(RosterProblem(row.number, header, f"invalid_{name}", str(error)))
        except _Refused as error:
            check.problems.append(RosterProblem(row.number, header, error.code, str(error)))
    if len(check.problems) > before:
        return None
    grid: Unit = values["grid"]
    entry = RosterEntry(
        row.number,
        values["passbook_number"],
        values["name"],
        grid.code,
        values.get("phone"),
        values.get("joined_on"),
    )
    return entry, grid


__all__ = [
    "HEADERS",
    "REQUIRED",
    "RosterCheck",
    "RosterEntry",
    "RosterProblem",
    "Unit",
    "all_units",
    "cell_text",
    "parse_day",
    "parse_joined_on",
    "parse_row",
    "roster_columns",
]
