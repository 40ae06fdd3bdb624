"""Tables written as ``.xlsx`` workbooks for people who open them in Excel or WPS.

Invariants: a workbook holds one sheet whose first row is the header (bold, frozen); a date
is a real date cell shown ``yyyy-mm-dd`` and a moment a date-time cell in the scheme's time
(China Standard Time: Excel has no time zones), so the office can sort and filter by them; a
whole number is a number cell, never text; columns are wide enough for their longest value
(a Chinese character counts double), within bounds; a text cell is a string cell (data type
``s``), never a formula, and one that would start a formula is neutralised
(:mod:`export._formulas`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from export._formulas import neutralise
from scheme_time import SCHEME_TZ

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MIN_WIDTH = 6
MAX_WIDTH = 60
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(SCHEME_TZ).replace(tzinfo=None)
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    return neutralise(str(value))


def display_width(value: Any) -> int:
    """How many narrow characters ``value`` takes in a cell: a wide (CJK) character is two."""
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def sheet_title(title: str) -> str:
    """A title Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    return _SHEET_TITLE_BAD.sub("-", title).strip()[:31] or "Sheet1"


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title_: str) -> bytes:
    """The table as an ``.xlsx`` workbook of one sheet titled ``sheet_title_``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title(sheet_title_)
    sheet.append([neutralise(str(h)) for h in headers])
    widths = [display_width(h) for h in headers]
    for row in rows:
        values = [_cell(v) for v in row]
        sheet.append(values)
        for i, value in enumerate(values):
            if i < len(widths):
                widths[i] = max(widths[i], display_width(value))
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                # openpyxl takes any text starting '=' for a formula; text is text.
                cell.data_type = "s"
            elif isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "XLSX_MEDIA_TYPE",
    "display_width",
    "sheet_title",
    "xlsx_bytes",
]
