"""Reading a table a street office keeps: an ``.xlsx`` workbook or a ``.csv`` file, as Excel or
WPS saves it, into header names and rows numbered as the spreadsheet shows them.

Invariants: a CSV is decoded as UTF-8 with a byte-order mark, plain UTF-8 or GB18030 (which
holds GBK and GB2312), in that order, never guessed past that; a workbook is read from its
first sheet, read-only, with formulas' stored values; a cell is a trimmed string, a date (an
Excel date cell; a date-time only if it has a time of day) or None, never a float (a whole
number such as a phone typed as a number reads ``13812345678``, not ``1.3812345678E10``);
every row keeps the number the spreadsheet gives it (the header is row 1 when it is the
first row), so a problem can be named by row and column. A file that cannot be read as a
table is refused with an :class:`UnreadableTable` saying why, never half read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from db import DomainError
from export._formulas import restore
from i18n import _

Cell = str | date | None
"""One value: trimmed text, a date (or a date-time with a time of day), or None if blank."""

MAX_ROWS = 20_000
MAX_COLUMNS = 200
BLANK_ROWS_FACTOR = 3  # rows read at most, blank ones included: max_rows times this
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old .xls (and .et) binary format
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")


class UnreadableTable(DomainError):
    """The file is not a table this service can read; ``detail`` says why and what to do."""

    code = "unreadable_file"


class EmptyTable(UnreadableTable):
    code = "empty_file"


class NoHeaderRow(UnreadableTable):
    code = "no_header_row"


class DuplicateHeaders(UnreadableTable):
    code = "duplicate_headers"


class TooManyRows(UnreadableTable):
    code = "too_many_rows"


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row under the header: its number in the spreadsheet and its cells by header."""

    number: int
    cells: dict[str, Cell]

    def get(self, header: str) -> Cell:
        return self.cells.get(header)


@dataclass(frozen=True, slots=True)
class Table:
    """A table as read: its header names in order, its non-blank rows, how it was read
    (``xlsx``, or the CSV's encoding: ``utf-8-sig``, ``utf-8`` or ``gb18030``) and the number
    of its header row."""

    headers: list[str]
    rows: list[TableRow]
    read_as: str
    header_row: int = 1


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Table:
    """The table in ``data``, a file called ``filename`` (its ending, or failing that its
    first bytes, tells ``.xlsx`` from ``.csv``).

    The header is the first non-blank row; blank rows are skipped (their numbers are not
    reused). Refuses an unreadable file, an empty one, a header row with a blank name over a
    column that holds values, the same header twice, and more than ``max_rows`` rows."""
    if _kind(data, filename) == "xlsx":
        return _table(_xlsx_rows(data), "xlsx", max_rows)
    text, read_as = decode_text(data)
    return _table(_csv_rows(text), read_as, max_rows)


def decode_text(data: bytes) -> tuple[str, str]:
    """A text file's text and the encoding it was read in: UTF-8 with a byte-order mark,
    UTF-8, else GB18030 (a superset of GBK, what Excel on a Chinese Windows saves)."""
    if data.startswith(_UTF16_BOMS):
        raise UnreadableTable(
            _(
                "The file is saved as UTF-16 ('Unicode text'); save it from Excel as "
                "'CSV UTF-8 (comma delimited)' or as an .xlsx workbook and send it again."
            )
        )
    if data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        raise UnreadableTable(
            _(
                "The file cannot be read as text (tried {encoding}): it is not a CSV in "
                "UTF-8 or GBK. Save it from Excel as 'CSV UTF-8 (comma delimited)' or as "
                "an .xlsx workbook and send it again.",
                encoding=encoding,
            )
        ) from None


def _kind(data: bytes, filename: str) -> str:
    name = filename.lower().strip()
    if data.startswith(_OLE_MAGIC) or name.endswith((".xls", ".et")):
        raise UnreadableTable(
            _(
                "This is an old-style Excel (.xls) or WPS file; open it and save it as "
                "an .xlsx workbook or as 'CSV UTF-8 (comma delimited)', then send it "
                "again."
            )
        )
    if data.startswith(_ZIP_MAGIC) or name.endswith(XLSX_SUFFIXES):
        return "xlsx"
    return "csv"


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _DAMAGED as error:
        raise _unreadable_workbook(error) from None
    try:
        if book.worksheets:
            # A read-only sheet is parsed as it is read: damage may show only now.
            rows = book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
            yield from enumerate(rows, start=1)
    except _DAMAGED as error:
        raise _unreadable_workbook(error) from None
    finally:
        book.close()


# What openpyxl raises for a damaged or foreign zip file, or a sheet's XML cut short
# (ElementTree's ParseError is a SyntaxError).
_DAMAGED = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, SyntaxError, EOFError)


def _unreadable_workbook(error: Exception) -> UnreadableTable:
    return UnreadableTable(
        _(
            "The file cannot be read as an .xlsx workbook ({name}); open it in "
            "Excel, save it as .xlsx or as 'CSV UTF-8 (comma delimited)', and send "
            "it again.",
            name=type(error).__name__,
        )
    )


def _csv_rows(text: str) -> Iterable[tuple[int, Sequence[Any]]]:
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1))
    except csv.Error as error:
        raise UnreadableTable(
            _(
                "The file cannot be read as CSV ({error}); save it from Excel as 'CSV "
                "UTF-8 (comma delimited)' or as an .xlsx workbook and send it again.",
                error=error,
            )
        ) from None


def cell_value(value: Any) -> Cell:
    """A spreadsheet value as a :data:`Cell`: text trimmed (blank is None) and without the
    apostrophe an export put before a formula-like text (:func:`export._formulas.restore`), a
    whole number as its digits, other numbers as written, an Excel date as a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        if value == int(value):
            return str(int(value))
        return format(value, "f").rstrip("0") if isinstance(value, Decimal) else repr(value)
    text = restore(str(value).replace("\ufeff", "").strip()).strip()
    return text or None


def _table(raw: Iterable[tuple[int, Sequence[Any]]], read_as: str, max_rows: int) -> Table:
    header: list[str] | None = None
    header_number = 0
    rows: list[TableRow] = []
    for number, values in raw:
        if number > max_rows * BLANK_ROWS_FACTOR + 1:
            # Blank rows count here too: a sheet formatted down to row 1,048,576 is not read
            # to its end.
            raise TooManyRows(
                _(
                    "The file has more than {limit} rows, blank ones included; at most "
                    "{max_rows} rows are read. Delete the empty rows below the table, or "
                    "split it into several files.",
                    limit=max_rows * BLANK_ROWS_FACTOR,
                    max_rows=max_rows,
                ),
                max_rows=max_rows,
            )
        cells = [cell_value(v) for v in values[:MAX_COLUMNS]]
        if all(c is None for c in cells):
            continue
        if header is None:
            header = _header(number, cells)
            header_number = number
            continue
        if len(rows) >= max_rows:
            raise TooManyRows(
                _(
                    "The file has more than {max_rows} rows; split it into several files.",
                    max_rows=max_rows,
                ),
                max_rows=max_rows,
            )
        _no_value_without_header(header, header_number, number, cells)
        named = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header)}
        rows.append(TableRow(number, {k: v for k, v in named.items() if k}))
    if header is None:
        raise EmptyTable(
            _("The file is empty: it needs a header row (the column names) and a row per record.")
        )
    return Table([h for h in header if h], rows, read_as, header_number)


def _header(number: int, cells: list[Cell]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for column, cell in enumerate(cells, start=1):
        if isinstance(cell, date):
            raise NoHeaderRow(
                _(
                    "Row {number} should be the header row (the column names) but column "
                    "{column} holds a date; put the column names in the first row.",
                    number=number,
                    column=column_letter(column),
                )
            )
        name = cell or ""
        key = name.casefold()
        if name and key in seen:
            raise DuplicateHeaders(
                _(
                    "The header row (row {number}) names column {name!r} twice (columns "
                    "{first_column} and {column}); keep one of them.",
                    number=number,
                    name=name,
                    first_column=column_letter(seen[key]),
                    column=column_letter(column),
                ),
                header=name,
            )
        seen[key] = column
        names.append(name)
    while names and not names[-1]:
        names.pop()
    return names


def _no_value_without_header(
    header: list[str], header_number: int, number: int, cells: list[Cell]
) -> None:
    for column, cell in enumerate(cells, start=1):
        if cell is not None and (column > len(header) or not header[column - 1]):
            raise NoHeaderRow(
                _(
                    "Row {number}, column {column} holds a value but the header row (row "
                    "{header_number}) has no name for that column; name it or clear it.",
                    number=number,
                    column=column_letter(column),
                    header_number=header_number,
                ),
                row=number,
                column=column_letter(column),
            )


def column_letter(column: int) -> str:
    """A 1-based column number as Excel names it: 1 -> A, 27 -> AA."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


__all__ = [
    "CSV_SUFFIXES",
    "MAX_ROWS",
    "XLSX_SUFFIXES",
    "Cell",
    "DuplicateHeaders",
    "EmptyTable",
    "NoHeaderRow",
    "Table",
    "TableRow",
    "TooManyRows",
    "UnreadableTable",
    "cell_value",
    "column_letter",
    "decode_text",
    "read_table",
]
