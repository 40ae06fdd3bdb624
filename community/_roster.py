"""A roster file (存折号, 姓名, 网格, 电话, 入册日期) checked row by row against the registry.

Invariants: every problem of every row is found and named by row and column before anything
is saved, so a file with any problem saves nothing; a row that says exactly what the
registry holds is "unchanged", never saved again, so importing a file twice changes
nothing; a new passbook number is cleaned as registration cleans it (full-width characters
to ASCII, upper case) and refused if it is in the file twice or differs only by O/0, I/1 or
L/1 from another number in the file or in the registry; a row is taken only into a grid the
importer administers, and what the registry holds outside it is not told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import export
import ledger
from community._cleaning import lookalike_key, normalise_passbook_number
from community._org_units import under
from community._passbooks import registered_lookalikes
from community._roster_rows import (
    RosterCheck,
    RosterEntry,
    RosterProblem,
    Unit,
    all_units,
    cell_text,
    parse_row,
    roster_columns,
)
from community._tables import org_unit, volunteer


async def _registered(conn: AsyncConnection, numbers: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(numbers), 500):
        rows = await conn.execute(
            select(
                volunteer.c.passbook_number,
                volunteer.c.name,
                volunteer.c.phone,
                volunteer.c.joined_on,
                org_unit.c.code,
                org_unit.c.path,
            )
            .join(org_unit, org_unit.c.id == volunteer.c.grid_id)
            .where(volunteer.c.passbook_number.in_(numbers[start : start + 500]))
        )
        found.update({row.passbook_number: row for row in rows})
    return found


def _differences(entry: RosterEntry, stored: Any, columns: dict[str, str]) -> list[tuple[str, str]]:
    """(header, what the registry holds) for each column of the row that differs."""
    compared = [
        ("name", stored.name, entry.name),
        ("grid", stored.code, entry.grid_code),
        ("phone", stored.phone, entry.phone),
        ("joined_on", stored.joined_on, entry.joined_on),
    ]
    return [
        (columns[name], str(held))
        for name, held, given in compared
        if name in columns and not (name == "joined_on" and given is None) and held != given
    ]


async def check_roster(
    conn: AsyncConnection,
    table: export.Table,
    *,
    may_administer: Callable[[str], bool],
    today: date,
) -> RosterCheck:
    """Check every row of ``table`` against the registry; ``may_administer(path)`` says
    whether the importer administers the org unit at ``path``. Saves nothing."""
    check = RosterCheck(read_as=table.read_as, rows=len(table.rows))
    columns = roster_columns(table, check)
    if check.problems:
        return check
    units = await all_units(conn)
    parsed = [parse_row(r, columns, units, may_administer, today, check) for r in table.rows]
    entries = [p for p in parsed if p is not None]
    number_header = columns["passbook_number"]
    raw_numbers = [
        normalise_passbook_number(cell_text(r.get(number_header)) or "") for r in table.rows
    ]
    registered = await _registered(conn, sorted({n for n in raw_numbers if n}))
    lookalikes = await registered_lookalikes(conn, raw_numbers)
    first_row: dict[str, int] = {}
    first_key: dict[str, tuple[int, str]] = {}
    for row, number in zip(table.rows, raw_numbers, strict=True):
        if not number:
            continue
        if number in first_row:
            check.problems.append(
                RosterProblem(
                    row.number,
                    number_header,
                    "duplicate_in_file",
                    f"Passbook {number} is also on row {first_row[number]}; keep one row per "
                    "passbook.",
                )
            )
            continue
        first_row[number] = row.number
        if number in registered:
            continue  # not new: a lookalike of it in the file is told against the registry
        key = lookalike_key(number)
        if key in first_key and first_key[key][1] != number:
            other_row, other = first_key[key]
            check.problems.append(
                RosterProblem(
                    row.number,
                    number_header,
                    "passbook_number_lookalike",
                    f"Passbook {number} differs from {other} (row {other_row}) only by O/0, "
                    "I/1 or L/1: most likely one of them is mistyped; check the covers.",
                )
            )
        first_key.setdefault(key, (row.number, number))
    flagged = {p.row for p in check.problems}
    for entry, grid in entries:
        if entry.row in flagged:
            continue
        stored = registered.get(entry.passbook_number)
        if stored is None:
            _check_new(entry, grid, lookalikes, may_administer, columns, check)
        elif not may_administer(stored.path):
            check.problems.append(
                RosterProblem(
                    entry.row,
                    number_header,
                    "not_in_your_unit",
                    f"Passbook {entry.passbook_number} is already registered outside your unit; "
                    "its own grid's staff manage it.",
                )
            )
        elif differs := _differences(entry, stored, columns):
            for header, held in differs:
                check.problems.append(
                    RosterProblem(
                        entry.row,
                        header,
                        "registration_conflict",
                        f"Passbook {entry.passbook_number} is registered with {header} {held}; "
                        "change a registered volunteer with the update or move requests, or "
                        "correct the row.",
                    )
                )
        else:
            check.unchanged += 1
    return check


def _check_new(
    entry: RosterEntry,
    grid: Unit,
    lookalikes: dict[str, list[tuple[str, str]]],
    may_administer: Callable[[str], bool],
    columns: dict[str, str],
    check: RosterCheck,
) -> None:
    if grid.closed:
        check.problems.append(
            RosterProblem(
                entry.row,
                columns["grid"],
                "org_unit_closed",
                f"Grid {grid.name} ({grid.code}) is closed and takes no new volunteers; "
                "register them in the grid that now serves their home.",
            )
        )
        return
    number_header = columns["passbook_number"]
    similar = [
        (n, p)
        for n, p in lookalikes.get(lookalike_key(entry.passbook_number), [])
        if n != entry.passbook_number
    ]
    if similar:
        number, path = similar[0]
        named = number if may_administer(path) else "a registered number outside your unit"
        check.problems.append(
            RosterProblem(
                entry.row,
                number_header,
                "passbook_number_lookalike",
                f"Passbook {entry.passbook_number} differs from {named} only by O/0, I/1 or "
                "L/1 and is most likely a typo of it: check the number on the cover.",
            )
        )
        return
    check.new.append(entry)


@dataclass(frozen=True, slots=True)
class RosterLine:
    """A volunteer as the roster export lists them."""

    passbook_number: str
    name: str
    grid_code: str
    grid_name: str
    grid_path: str
    phone: str | None
    joined_on: date
    status: str
    account_id: ledger.AccountId


async def roster_lines(conn: AsyncConnection, *, under_path: str | None) -> list[RosterLine]:
    """Every volunteer of the grids under the org unit at ``under_path`` (every grid when
    None), by passbook number."""
    query = (
        select(
            volunteer.c.passbook_number,
            volunteer.c.name,
            org_unit.c.code,
            org_unit.c.name,
            org_unit.c.path,
            volunteer.c.phone,
            volunteer.c.joined_on,
            volunteer.c.status,
            volunteer.c.account_id,
        )
        .join(org_unit, org_unit.c.id == volunteer.c.grid_id)
        .order_by(volunteer.c.passbook_number)
    )
    if under_path is not None:
        query = query.where(under(under_path))
    return [RosterLine(*row) for row in await conn.execute(query)]


__all__ = ["RosterLine", "check_roster", "roster_lines"]
