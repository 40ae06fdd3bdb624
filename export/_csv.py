"""Tables written for people who open them in Excel: CSV with a UTF-8 byte-order mark.

Invariant: every CSV the service or the command line writes starts with the byte-order mark
(without it Excel reads the file in the local ANSI code page and Chinese names turn to noise)
and ends its rows with CRLF; a CSV read back has the mark removed; no text cell starts a
formula (:mod:`export._formulas`). The media type names no charset: the framework adds
``charset=utf-8`` to every ``text/*`` answer, and one charset is what a client expects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from export._formulas import neutralise

UTF8_BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv"


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The table as CSV text, byte-order mark first, every text cell that would start a
    formula neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(v) for v in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return UTF8_BOM + out.getvalue()


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    return csv_text(header, rows).encode("utf-8")


def read_csv(text: str) -> csv.DictReader[str]:
    """Rows of a CSV as dicts by header, whether or not Excel put a byte-order mark first."""
    return csv.DictReader(io.StringIO(text.removeprefix(UTF8_BOM)))


__all__ = ["CSV_MEDIA_TYPE", "UTF8_BOM", "csv_bytes", "csv_text", "read_csv"]
