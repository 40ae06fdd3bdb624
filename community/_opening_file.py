"""A file of opening balances: each paper passbook's last balance and its date, as a street
office keeps them in Excel (存折号, 余额, 日期; or passbook_number, points, as_of; 备注/note
optional), read into rows for :func:`community.propose_openings`.

Invariant: a cell that cannot be read becomes a problem naming its row, its column (as the
file's header names it) and a stable code, and the other cells are still read, so every
problem of the file is told at once; rows are proposed only from a file without any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import export
from community._cleaning import clean_passbook_number
from community._grants import OpeningIn
from community._roster_rows import cell_text, parse_day
from community.errors import InvalidPerson
from i18n import _

HEADERS: dict[str, tuple[str, ...]] = {
    "passbook_number": ("存折号", "存折编号", "passbook_number", "number", "passbook"),
    "points": ("余额", "纸质存折余额", "积分", "points", "balance"),
    "as_of": ("日期", "余额日期", "纸质存折日期", "结转日期", "as_of", "date"),
    "note": ("备注", "note"),
}
REQUIRED = ("passbook_number", "points", "as_of")
_WHOLE = re.compile(r"[0-9]{1,9}")


@dataclass(slots=True)
class OpeningFile:
    """The file read: its rows as proposals, how it was read, and every problem found
    (``row``, ``column``, ``passbook`` when known, ``code``, ``message``)."""

    read_as: str
    rows: list[OpeningIn] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def read_opening_file(data: bytes, filename: str, today: date) -> OpeningFile:
    """The opening balances of ``data`` (an .xlsx workbook or a CSV in UTF-8, UTF-8 with BOM,
    GBK or GB18030), each row checked cell by cell; the file is never half read."""
    table = export.read_table(data, filename)
    found = OpeningFile(table.read_as)
    columns = _columns(table, found)
    if found.problems:
        return found
    for row in table.rows:
        before = len(found.problems)
        number = _cell(row, columns, "passbook_number", found, _number)
        points = _cell(row, columns, "points", found, _points)
        as_of = _cell(row, columns, "as_of", found, lambda c: parse_day(c, columns["as_of"], today))
        note = cell_text(row.get(columns["note"])) if "note" in columns else None
        for problem in found.problems[before:]:
            problem["passbook"] = number
        if len(found.problems) == before:
            found.rows.append(OpeningIn(row.number, number, points, as_of, note or ""))
    if not table.rows:
        found.problems.append(_problem(table.header_row, "", "no_rows", "The file has no rows."))
    return found


def _columns(table: export.Table, found: OpeningFile) -> dict[str, str]:
    known = {alias.casefold(): f for f, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, str] = {}
    for header in table.headers:
        name = known.get(header.strip().casefold())
        if name is not None and name not in columns:
            columns[name] = header
    for name in REQUIRED:
        if name not in columns:
            found.problems.append(
                _problem(
                    table.header_row,
                    HEADERS[name][0],
                    "missing_column",
                    f"The file has no {HEADERS[name][0]} ({name}) column: the header row names "
                    "存折号, 余额 and 日期 (or passbook_number, points, as_of).",
                )
            )
    return columns


def _cell(
    row: export.TableRow, columns: dict[str, str], name: str, found: OpeningFile, read: Any
) -> Any:
    header = columns[name]
    cell = row.get(header)
    if cell is None:
        found.problems.append(_problem(row.number, header, "required", f"{header} is empty."))
        return None
    try:
        return read(cell)
    except InvalidPerson as error:
        found.problems.append(_problem(row.number, header, f"invalid_{name}", str(error)))
        return None


def _number(cell: export.Cell) -> str:
    return clean_passbook_number(cell_text(cell) or "")


def _points(cell: export.Cell) -> int:
    text = (cell_text(cell) or "").replace(",", "")
    if not _WHOLE.fullmatch(text):
        raise InvalidPerson(
            _("余额 must be a whole number of points, such as 120; got {text!r}.", text=text)
        )
    return int(text)


def _problem(row: int, column: str, code: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "passbook": None, "code": code, "message": message}


__all__ = ["HEADERS", "OpeningFile", "read_opening_file"]
