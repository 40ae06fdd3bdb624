"""The spreadsheet reader: encodings, workbooks, row numbers and the files it refuses."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

import export
from export import read_table

CSV_TEXT = "存折号,姓名,电话\r\nYZS1-0001,王秀兰,13812345678\r\n\r\nYZS1-0002,李 明 ,\r\n"


@pytest.mark.parametrize(
    ("data", "read_as"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
        (CSV_TEXT.encode("gbk"), "gb18030"),
        (CSV_TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_a_csv_reads_alike_in_every_encoding_an_office_saves(data: bytes, read_as: str) -> None:
    table = read_table(data, "roster.csv")
    assert table.read_as == read_as
    assert table.headers == ["存折号", "姓名", "电话"]
    # the blank row 3 is skipped, and row 4 keeps its number; cells are trimmed, blank is None
    assert [(r.number, r.cells) for r in table.rows] == [
        (2, {"存折号": "YZS1-0001", "姓名": "王秀兰", "电话": "13812345678"}),
        (4, {"存折号": "YZS1-0002", "姓名": "李 明", "电话": None}),
    ]


def test_gb18030_beyond_gbk_is_read() -> None:
    text = "姓名\r\n𠀀\r\n"  # a character GBK does not hold
    table = read_table(text.encode("gb18030"), "x.csv")
    assert table.rows[0].get("姓名") == "𠀀"


def _workbook(*rows: list[object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_gives_dates_as_dates_and_whole_numbers_as_digits() -> None:
    data = _workbook(
        ["存折号", "电话", "入册日期", "分"],
        [],
        ["YZS1-0001", 13812345678, datetime(2019, 3, 1), 2.5],
        ["YZS1-0002", 13812345679.0, date(2020, 1, 2), 3],
    )
    table = read_table(data, "roster.xlsx")
    assert table.read_as == "xlsx"
    assert [(r.number, r.cells) for r in table.rows] == [
        (3, {"存折号": "YZS1-0001", "电话": "13812345678", "入册日期": date(2019, 3, 1), "分": "2.5"}),
        (4, {"存折号": "YZS1-0002", "电话": "13812345679", "入册日期": date(2020, 1, 2), "分": "3"}),
    ]  # fmt: skip


def test_a_workbook_is_known_by_its_bytes_whatever_its_name() -> None:
    table = read_table(_workbook(["a"], ["1"]), "upload")
    assert table.read_as == "xlsx"


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "x.csv", "empty_file"),
        (b"\r\n,,\r\n", "x.csv", "empty_file"),
        (b"PK\x03\x04not really a zip", "x.xlsx", "unreadable_file"),
        (b"\xd0\xcf\x11\xe0old", "x.xls", "unreadable_file"),
        (b"\xff\xfea\x00", "x.csv", "unreadable_file"),
        (b"\x81\x30", "x.csv", "unreadable_file"),  # a cut-off GB18030 sequence
        ("姓名,电话,姓名\r\n".encode(), "x.csv", "duplicate_headers"),
        ("姓名,\r\n王,13812345678\r\n".encode(), "x.csv", "no_header_row"),
    ],
)
def test_what_cannot_be_read_is_refused_with_a_reason(
    data: bytes, filename: str, code: str
) -> None:
    with pytest.raises(export.UnreadableTable) as refused:
        read_table(data, filename)
    assert refused.value.code == code
    assert str(refused.value)


def test_a_workbook_damaged_inside_is_refused_not_crashed_on() -> None:
    source = zipfile.ZipFile(io.BytesIO(_workbook(["a", "b"], [1, 2])))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]  # the sheet's XML cut short
            target.writestr(item, data)
    with pytest.raises(export.UnreadableTable):
        read_table(damaged.getvalue(), "x.xlsx")
    not_a_workbook = io.BytesIO()
    with zipfile.ZipFile(not_a_workbook, "w") as target:
        target.writestr("hello.txt", "hi")
    with pytest.raises(export.UnreadableTable):
        read_table(not_a_workbook.getvalue(), "x.xlsx")


def test_a_header_row_holding_a_date_is_no_header_row() -> None:
    with pytest.raises(export.NoHeaderRow):
        read_table(_workbook(["YZS1-0001", datetime(2020, 1, 1)]), "x.xlsx")


def test_too_many_rows_are_refused() -> None:
    data = ("a\r\n" + "1\r\n" * 6).encode()
    assert len(read_table(data, "x.csv", max_rows=6).rows) == 6
    with pytest.raises(export.TooManyRows):
        read_table(data, "x.csv", max_rows=5)
    blanks = ("a\r\n" + "\r\n" * 30 + "1\r\n").encode()
    with pytest.raises(export.TooManyRows):
        read_table(blanks, "x.csv", max_rows=5)
    assert len(read_table(blanks, "x.csv", max_rows=11).rows) == 1


def test_column_letters() -> None:
    assert [export.column_letter(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_a_written_workbook_holds_real_dates_and_numbers() -> None:
    moment = datetime.fromisoformat("2026-11-30T16:30:00+00:00")  # 00:30 on 1 Dec in Jinan
    data = export.xlsx_bytes(
        ["存折号", "入册日期", "积分", "时间"],
        [["YZS1-0001", date(2019, 3, 1), 120, moment]],
        "名册 roster",
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "名册 roster"
    assert [c.value for c in sheet[1]] == ["存折号", "入册日期", "积分", "时间"]
    number, joined, points, at = sheet[2]
    assert number.value == "YZS1-0001"
    assert joined.is_date
    assert joined.value == datetime(2019, 3, 1)
    assert joined.number_format == export.DATE_FORMAT
    assert points.value == 120
    assert points.data_type == "n"
    assert at.value == datetime(2026, 12, 1, 0, 30)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len("YZS1-0001")
    # and it reads back through the reader as it was written
    assert read_table(data, "x.xlsx").rows[0].get("入册日期") == date(2019, 3, 1)


def test_the_header_row_is_the_first_non_blank_row() -> None:
    table = read_table(b"\r\n,\r\nname\r\nx\r\n", "x.csv")
    assert (table.header_row, table.headers, table.rows[0].number) == (3, ["name"], 4)
