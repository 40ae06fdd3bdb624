"""Tables in and out of the spreadsheets a street office keeps.

Out: CSV for Excel (UTF-8 with a byte-order mark, :mod:`export._csv`) and ``.xlsx`` workbooks
with real dates and numbers (:mod:`export._xlsx`). In: :func:`read_table` reads an ``.xlsx``
workbook or a CSV in UTF-8, UTF-8 with a byte-order mark, GBK or GB18030 into header names
and rows numbered as the spreadsheet shows them (:mod:`export._reading`), for any import to
build on; what it cannot read it refuses with an :class:`UnreadableTable`. Every text cell
written that would start a formula (``= + - @``, tab, CR) gets an apostrophe first, and a cell
read loses it again (:mod:`export._formulas`), so an export imports back unchanged.
"""

from export._csv import CSV_MEDIA_TYPE, UTF8_BOM, csv_bytes, csv_text, read_csv
from export._formulas import FORMULA_STARTS, neutralise, restore
from export._reading import (
    MAX_ROWS,
    Cell,
    DuplicateHeaders,
    EmptyTable,
    NoHeaderRow,
    Table,
    TableRow,
    TooManyRows,
    UnreadableTable,
    cell_value,
    column_letter,
    decode_text,
    read_table,
)
from export._xlsx import DATE_FORMAT, DATETIME_FORMAT, XLSX_MEDIA_TYPE, xlsx_bytes

__all__ = [
    "CSV_MEDIA_TYPE",
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "FORMULA_STARTS",
    "MAX_ROWS",
    "UTF8_BOM",
    "XLSX_MEDIA_TYPE",
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
    "csv_bytes",
    "csv_text",
    "decode_text",
    "neutralise",
    "read_csv",
    "read_table",
    "restore",
    "xlsx_bytes",
]
