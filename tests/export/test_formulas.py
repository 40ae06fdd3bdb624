"""Formula injection (finding 7): no exported text cell starts a formula, in CSV or .xlsx, and
what was neutralised on the way out reads back as it was."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

import export
from export import read_table

HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1", "\tTAB", "\rCR", "\nLF", "=1+1"]
HARMLESS = ["王秀兰", "it's fine", "'quoted", "a=b", "YZS1-0001"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_starts_a_formula_gets_an_apostrophe(text: str) -> None:
    assert export.neutralise(text) == "'" + text
    assert export.restore(export.neutralise(text)) == text


@pytest.mark.parametrize("value", [*HARMLESS, -1, 0, 2.5, None])
def test_other_values_are_left_alone(value: object) -> None:
    assert export.neutralise(value) == value
    if isinstance(value, str):
        assert export.restore(value) == value


def table() -> tuple[list[str], list[list[object]]]:
    header = ["存折号", "姓名", "积分"]
    rows: list[list[object]] = [[f"T-{i}", name, -i] for i, name in enumerate(HOSTILE, start=1)]
    return header, rows


def test_a_csv_holds_no_live_formula_and_numbers_stay_numbers() -> None:
    header, rows = table()
    text = export.csv_text(header, rows)
    read = list(csv.reader(io.StringIO(text.removeprefix(export.UTF8_BOM), newline="")))
    assert read[0] == header
    for (number, name, points), written in zip(read[1:], rows, strict=True):
        assert name == "'" + str(written[1])
        assert number == written[0]
        assert points == str(written[2])  # a negative number is written as a number: -1
        assert not points.startswith("'")


def test_an_xlsx_holds_string_cells_never_formulas() -> None:
    header, rows = table()
    data = export.xlsx_bytes(header, rows, "名册")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    for cells, written in zip(list(sheet.iter_rows())[1:], rows, strict=True):
        name, points = cells[1], cells[2]
        assert name.data_type == "s"
        # a workbook's XML reads a carriage return back as a line feed
        assert name.value == "'" + str(written[1]).replace("\r", "\n")
        assert points.data_type == "n"
        assert points.value == written[2]
    with zipfile.ZipFile(io.BytesIO(data)) as parts:
        xml = parts.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    assert "<f " not in xml


def test_an_xlsx_never_writes_a_formula_even_from_text_starting_with_an_equals_sign() -> None:
    # what openpyxl turns into a formula if a caller bypassed the apostrophe
    data = export.xlsx_bytes(["=A1"], [["=B2"]], "x")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert [(c.value, c.data_type) for c in sheet["A"]] == [("'=A1", "s"), ("'=B2", "s")]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_what_was_neutralised_reads_back_as_it_was(kind: str) -> None:
    header, rows = table()
    data = (
        export.csv_bytes(header, rows) if kind == "csv" else export.xlsx_bytes(header, rows, "名册")
    )
    read = read_table(data, f"x.{kind}")
    # cells are trimmed on reading, so a leading tab or CR goes as well
    assert [r.get("姓名") for r in read.rows] == [str(r[1]).strip() for r in rows]
    assert [r.get("积分") for r in read.rows] == [str(r[2]) for r in rows]
