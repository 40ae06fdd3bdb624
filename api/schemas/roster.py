"""What the roster endpoints give: the outcome of an import (or of its dry run)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RosterProblemOut(BaseModel):
    """One problem of a roster file."""

    row: int = Field(description="the spreadsheet's row number (the header row is 1)")
    column: str = Field(description="the column's header as the file names it")
    code: str = Field(description="stable, e.g. invalid_phone, duplicate_in_file, unknown_grid")
    message: str = Field(description="what is wrong and what to do")


class RosterImportOut(BaseModel):
    """What the import did, or for a dry run what it would do."""

    dry_run: bool
    read_as: str = Field(description="xlsx, or the CSV's encoding: utf-8-sig, utf-8, gb18030")
    rows: int = Field(description="rows under the header (blank rows not counted)")
    new: int = Field(description="volunteers registered now (or that would be)")
    unchanged: int = Field(description="rows that say exactly what is registered already")
    registered: list[str] = Field(description="the passbooks registered now; none in a dry run")
    problems: list[RosterProblemOut] = Field(
        description="every problem by row and column; empty when the file is fine"
    )
    ignored_columns: list[str] = Field(description="columns of the file that were not read")
