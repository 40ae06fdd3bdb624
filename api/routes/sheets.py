"""Scoring sheets: draft, edit, delete, submit, approve, reject, revise, read and list, and
propose taking points back (reversal, correction: confirmed in :mod:`api.routes.takebacks`).

Four eyes, the daily cap, the grid budget and who may act where are checked by
:mod:`council.services` (a council member acts only in their own grid; community staff
propose take-backs and delete drafts only under their org unit; admins, council members and
auditors read under theirs). Every write is one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, delete, get, patch, post
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
from api.routes._council_out import sheet_out, sheet_page_out, takeback_out
from api.schemas import council as cs
from config import Settings
from council import services

GridQuery = Annotated[str | None, QueryParameter(max_length=40)]
LinePath = Annotated[int, PathParameter(ge=1, le=council.MAX_LINES)]
_FOUR_EYES = (
    "Four eyes: this only proposes (202, no points move); another person, a council member "
    "of the sheet's grid or an admin over it, confirms it (POST /api/takebacks/{id}/"
    "confirmation) and only then are the points taken back. The same person proposing the "
    "same again gets the open proposal back (replayed: true); an open proposal for the sheet "
    "or the line is a 409."
)
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

    @patch(
        "/{sheet_id:int}",
        guards=[roles(Role.COUNCIL)],
        summary="Edit a draft: replace its fields and/or its lines (the author only)",
        description="Fields left out stay; 'lines', when sent, replaces every line. The new "
        "content is checked as a new draft is (a refusal names the lines to change).",
        status_code=200,
    )
    async def edit(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.SheetEditIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        settings: NamedDependency[Settings],
    ) -> cs.SheetOut:
        sheet = await tx.write(
            services.edit_draft,
            principal,
            sheet_id=sheet_id,
            changes=_changes(data),
            submit=data.submit,
            max_age_days=settings.sheet_max_age_days,
        )
        return sheet_out(sheet)

    @delete(
        "/{sheet_id:int}",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Delete a draft and its lines (its author, or an admin over its grid)",
        status_code=204,
    )
    async def delete_draft(
        self,
        sheet_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> None:
        await tx.write(services.delete_draft, principal, sheet_id=sheet_id)

    @post(
        "/{sheet_id:int}/revision",
        guards=[roles(Role.COUNCIL)],
        summary="Revise a rejected sheet: a new draft copying it (with any changes)",
        description="The rejected sheet stays rejected; the new draft names it "
        "(revises_sheet_id) and it names the draft (revised_by_sheet_id). A rejected sheet is "
        "revised once; the same member revising it the same way again gets that draft back "
        "(replayed: true).",
        status_code=201,
    )
    async def revise(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.SheetEditIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        settings: NamedDependency[Settings],
    ) -> cs.SheetOut:
        sheet = await tx.write(
            services.revise_sheet,
            principal,
            sheet_id=sheet_id,
            changes=_changes(data),
            submit=data.submit,
            max_age_days=settings.sheet_max_age_days,
        )
        return sheet_out(sheet)

    @post(
        "/{sheet_id:int}/reversal",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Propose reversing a posted sheet whole (its bonuses too); another person confirms",
        description=_FOUR_EYES,
        status_code=202,
    )
    async def reverse(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.ReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackOut:
        proposal = await tx.write(
            services.propose_reversal, principal, sheet_id=sheet_id, reason=data.reason
        )
        return takeback_out(proposal)

    @post(
        "/{sheet_id:int}/lines/{line:int}/correction",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Propose taking back one line's points; another person confirms",
        description=_FOUR_EYES,
        status_code=202,
    )
    async def correct(
        self,
        sheet_id: IdPath,
        line: LinePath,
        data: JSONBody[cs.ReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackOut:
        proposal = await tx.write(
            services.propose_correction,
            principal,
            sheet_id=sheet_id,
            line=line,
            reason=data.reason,
        )
        return takeback_out(proposal)

    @get(
        "/{sheet_id:int}/takebacks",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="The take-backs proposed for a sheet, open and decided, oldest first",
    )
    async def takebacks(
        self,
        sheet_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackList:
        found = await tx.read(services.list_takebacks, principal, sheet_id=sheet_id)
        return cs.TakebackList(takebacks=[takeback_out(x) for x in found])


def _changes(data: cs.SheetEditIn) -> council.DraftChanges:
    return council.DraftChanges(
        rule_code=data.rule,
        activity_date=data.activity_date,
        place=data.place,
        note=data.note,
        community_wide=data.community_wide,
        lines=None
        if data.lines is None
        else [council.LineIn(x.passbook, x.units, x.note) for x in data.lines],
    )


ROUTES: list[Any] = [SheetController]
