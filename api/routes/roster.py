"""The roster as a file: importing the volunteers a street office keeps in Excel, and the
roster of a unit as ``.csv`` or ``.xlsx``.

The import takes the file itself as the request body (``Content-Type: text/csv`` or the
``.xlsx`` media type; what the file is is read from its first bytes, so a client that sends
``application/octet-stream`` is understood too), at most :data:`MAX_UPLOAD_BYTES`. Who may do
what is checked by :mod:`community.services.roster`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter

import db
import export
from access import Principal, Role
from api.auth import roles
from api.problems import problem_response
from api.routes._uploads import MAX_UPLOAD_BYTES, file_upload, upload_filename
from api.schemas import roster as schemas
from community import services

UnitQuery = Annotated[
    str | None,
    QueryParameter(max_length=40, description="org unit code; the token's own unit by default"),
]


def _attachment(content: bytes | str, media_type: str, filename: str) -> Response[Any]:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class RosterController(Controller):
    path = "/api/volunteers"
    tags = ["volunteers"]

    @post(
        "/import",
        guards=[roles(Role.ADMIN)],
        summary="Import a roster file of volunteers (.xlsx or .csv), all or nothing",
        description="Columns 存折号, 姓名, 网格 (code or name), 电话 and 入册日期 (or "
        "passbook_number, name, grid, phone, joined_on); the header row first. Every problem "
        "is reported at once by row and column, and nothing is saved if any row is wrong "
        "(422 roster_rejected, 'problems'). Rows that say what is registered already are "
        "unchanged, so the same file again changes nothing. dry_run=true saves nothing and "
        "answers what an import would do, problems included. An admin imports into the grids "
        "under their own unit.",
        status_code=200,
        operation_class=file_upload("the roster file"),
        request_max_body_size=MAX_UPLOAD_BYTES,
        responses={
            413: problem_response(
                f"The file is larger than {MAX_UPLOAD_BYTES} bytes; split it into several."
            ),
            422: problem_response(
                "The file cannot be read as a table (unreadable_file, empty_file, "
                "no_header_row, duplicate_headers, too_many_rows), or it has problems "
                "(roster_rejected: 'problems' lists each by row, column and code; nothing "
                "was saved)."
            ),
        },
    )
    async def import_roster(
        self,
        request: Request[Principal, str, State],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        dry_run: Annotated[
            bool, QueryParameter(description="true: check the file and save nothing")
        ] = False,
    ) -> schemas.RosterImportOut:
        data = await request.body()
        done = await tx.write(
            services.import_roster,
            principal,
            data=data,
            filename=upload_filename(request),
            dry_run=dry_run,
        )
        return schemas.RosterImportOut(
            dry_run=done.dry_run,
            read_as=done.read_as,
            rows=done.rows,
            new=done.new,
            unchanged=done.unchanged,
            registered=done.registered,
            problems=[schemas.RosterProblemOut(**asdict(p)) for p in done.problems],
            ignored_columns=done.ignored_columns,
        )

    @get(
        "/export.csv",
        guards=[roles(Role.ADMIN, Role.AUDITOR)],
        summary="The roster of a unit as CSV (存折号, 姓名, 网格, 网格名称, 电话, 入册日期, 状态, 余额)",
        description="Phones are whole only to an admin over the volunteer's grid. An admin's "
        "export imports back unchanged.",
        media_type=export.CSV_MEDIA_TYPE,
    )
    async def export_csv(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        unit: UnitQuery = None,
    ) -> Response[str]:
        roster = await tx.read(services.export_roster, principal, unit=unit)
        text = export.csv_text(services.ROSTER_COLUMNS, services.roster_rows(roster))
        return _attachment(text, export.CSV_MEDIA_TYPE, f"roster-{roster.unit}.csv")

    @get(
        "/export.xlsx",
        guards=[roles(Role.ADMIN, Role.AUDITOR)],
        summary="The roster of a unit as an Excel workbook (.xlsx), 入册日期 as dates",
        description="The columns of export.csv; phones are whole only to an admin over the "
        "volunteer's grid.",
        media_type=export.XLSX_MEDIA_TYPE,
    )
    async def export_xlsx(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        unit: UnitQuery = None,
    ) -> Response[bytes]:
        roster = await tx.read(services.export_roster, principal, unit=unit)
        content = export.xlsx_bytes(
            services.ROSTER_COLUMNS, services.roster_rows(roster), f"名册 {roster.unit}"
        )
        return _attachment(content, export.XLSX_MEDIA_TYPE, f"roster-{roster.unit}.xlsx")


ROUTES: list[Any] = [RosterController]
