"""Text that a spreadsheet would run as a formula, made harmless on the way out and restored on
the way back in (OWASP "CSV injection").

Invariant: no text cell that the service or the command line exports (CSV or ``.xlsx``) begins
with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (a workbook's XML
reads a carriage return back as a line feed, so both count): such a cell gets one apostrophe in
front (``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``), so Excel, WPS and LibreOffice show
it as text instead of running it. Numbers, dates and empty cells are never touched (a negative
number stays a number). A cell read back from a file (every import reads through
:func:`export.read_table`) loses exactly that one apostrophe again, so what an export wrote
imports back unchanged; a text that really begins with an apostrophe and one of those
characters cannot be imported as such (it reads without its apostrophe).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTE = "'"


def neutralise(value: Any) -> Any:
    """``value`` as it is safe to put in a spreadsheet cell: text that would start a formula
    gets an apostrophe first; anything else (numbers, dates, None, other text) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def restore(text: str) -> str:
    """Text read from a cell, without the apostrophe :func:`neutralise` put before it."""
    if text.startswith(QUOTE) and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


__all__ = ["FORMULA_STARTS", "neutralise", "restore"]
