"""Scoring sheets: draft, submit, approve, reject, reverse, correct, read and list.

Four eyes, the daily cap, the grid budget and who may act where are checked by
:mod:`council.services` (a council member acts only in their own grid; community staff
correct only under their org unit; admins, council members and auditors read under theirs).
Every write is one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

import council
import db
from access import Principal, Role
from api.auth import roles
from api.routes._common import (
    MAX_ID,
    IdPath,
    OptionalIdempotencyKeyHeader,
    optional_client_key,
)
from api.routes._council_out import sheet_out, sheet_page_out
from api.schemas import council as cs
from config import Settings
from council import services

GridQuery = Annotated[str | None, QueryParameter(max_length=40)]
LinePath = Annotated[int, PathParameter(ge=1, le=council.MAX_LINES)]
StatusQuery = Annotated[str | None, QueryParameter(pattern=f"^({'|'.join(council.SheetStatus)})$")]


class SheetController(Controller):
    path = "/api/sheets"
    tags = ["scoring sheets"]

    @post(
        "/",
        guards=[roles(Role.COUNCIL)],
        summary="Draft a scoring sheet for one activity (optionally submitting it at once)",
        description="Send an Idempotency-Key header to make a retry safe: the same key and the "
        "same draft answer the first sheet (replayed: true), the same key with another draft "
        "is a 409.",
        status_code=201,
    )
    async def draft(
        self,
        data: JSONBody[cs.SheetIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        settings: NamedDependency[Settings],
        idempotency_header: OptionalIdempotencyKeyHeader = None,
    ) -> cs.SheetOut:
        sheet = await tx.write(
            services.draft_sheet,
            principal,
            rule=data.rule,
            activity_date=data.activity_date,
            place=data.place,
            note=data.note,
            community_wide=data.community_wide,
            lines=[council.LineIn(x.passbook, x.units, x.note) for x in data.lines],
            submit=data.submit,
            max_age_days=settings.sheet_max_age_days,
            idempotency_key=optional_client_key(principal, idempotency_header),
        )
        return sheet_out(sheet)

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="Scoring sheets in this token's scope, newest first",
    )
    async def list_sheets(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        status: StatusQuery = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
        grid: GridQuery = None,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> cs.SheetPage:
        page = await tx.read(
            services.list_sheets,
            principal,
            status=None if status is None else council.SheetStatus(status),
            since=since,
            until=until,
            grid=grid,
            before=before,
            limit=limit,
        )
        return sheet_page_out(page)

    @get(
        "/{sheet_id:int}",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="A scoring sheet with its lines and bonuses",
    )
    async def read(
        self,
        sheet_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SheetOut:
        return sheet_out(await tx.read(services.read_sheet, principal, sheet_id=sheet_id))

    @post(
        "/{sheet_id:int}/submit",
        guards=[roles(Role.COUNCIL)],
        summary="Submit a draft for a colleague's approval",
        status_code=200,
    )
    async def submit(
        self,
        sheet_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SheetOut:
        return sheet_out(await tx.write(services.submit_sheet, principal, sheet_id=sheet_id))

    @post(
        "/{sheet_id:int}/approve",
        guards=[roles(Role.COUNCIL)],
        summary="Approve a colleague's sheet: its points post to the passbooks",
        status_code=200,
    )
    async def approve(
        self,
        sheet_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SheetOut:
        return sheet_out(await tx.write(services.approve_sheet, principal, sheet_id=sheet_id))

    @post(
        "/{sheet_id:int}/reject",
        guards=[roles(Role.COUNCIL)],
        summary="Send a colleague's sheet back, saying why",
        status_code=200,
    )
    async def reject(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.ReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SheetOut:
        sheet = await tx.write(
            services.reject_sheet, principal, sheet_id=sheet_id, reason=data.reason
        )
        return sheet_out(sheet)

    @post(
        "/{sheet_id:int}/reversal",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Reverse a posted sheet whole (its bonuses too), with a reason",
        status_code=200,
    )
    async def reverse(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.ReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SheetOut:
        sheet = await tx.write(
            services.reverse_sheet, principal, sheet_id=sheet_id, reason=data.reason
        )
        return sheet_out(sheet)

    @post(
        "/{sheet_id:int}/lines/{line:int}/correction",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Take back one line's points, with a reason",
        status_code=200,
    )
    async def correct(
        self,
        sheet_id: IdPath,
        line: LinePath,
        data: JSONBody[cs.ReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SheetOut:
        sheet = await tx.write(
            services.correct_line, principal, sheet_id=sheet_id, line=line, reason=data.reason
        )
        return sheet_out(sheet)


ROUTES: list[Any] = [SheetController]
