"""What the printed passbook's endpoints take and give: a passbook's statement laid out in
pages, each with its check code, and the check of a code typed from a printed page."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas import GridRef, Strict, WholeNumber

MAX_ID = 2**63 - 1


class PrintedLine(BaseModel):
    line: int = Field(description="the line number in this passbook, 1 for the first")
    date: dt.date = Field(description="the day it was written in the books (China Standard Time)")
    for_date: dt.date = Field(description="the day the points are for (activity, paper passbook)")
    recorded_at: datetime
    kind: str
    kind_words: str = Field(description="the kind of line in words, in the asked language")
    what_for: str = Field(description="摘要: the memo as written")
    deposit: int | None = Field(description="存入: points in")
    withdrawal: int | None = Field(description="支出: points out, as a positive number")
    balance: int = Field(description="余额: the balance after this line")


class PrintedPage(BaseModel):
    page: int = Field(description="1-based; page k holds lines (k-1)*N+1 to k*N")
    of: int = Field(description="how many pages the passbook has at this page size")
    carried: int = Field(description="the balance brought forward from the page before")
    lines: list[PrintedLine]
    balance: int = Field(description="the balance after the page's last line")
    last_line: int = Field(description="print it beside the check code: both are typed to check")
    check_code: str = Field(description="XXXX-XXXX, from the chain hash of the last line")
    full: bool = Field(description="false for a last page that more lines will still fill")


class PrintablePassbook(BaseModel):
    number: str
    holder: str
    grid: GridRef
    lines_per_page: int
    pages_total: int = Field(description="the passbook's pages in all (0 with no lines yet)")
    lines_total: int
    pages: list[PrintedPage]
    printed_at: datetime


class CheckCodeIn(Strict):
    number: str = Field(min_length=1, max_length=64, description="the passbook number")
    sequence: WholeNumber = Field(
        ge=1, le=MAX_ID, description="the line number printed beside the code"
    )
    code: str = Field(
        min_length=1, max_length=40, description="the check code as typed, e.g. 7K3M-Q9PX"
    )


class CheckCodeOut(BaseModel):
    matches: bool = Field(description="whether the books still hold the history printed")
    message: str = Field(description="what the answer means, in the asked language")
