"""Opening balances carried over from paper passbooks, and adjustments for service too old for
a scoring sheet: proposed by one staff member, confirmed (posted) or rejected by another.

Who may do what, four eyes included, is checked by :mod:`community.services.grants`; the
guards only refuse a wrong role before any work. Every write is one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

import community
import db
from access import Principal, Role
from api.auth import roles
from api.problems import problem_response
from api.routes._common import MAX_ID, IdPath, OptionalIdempotencyKeyHeader, optional_client_key
from api.routes._uploads import MAX_UPLOAD_BYTES, file_upload, upload_filename
from api.schemas import grants as schemas
from community import services
from config import Settings

BatchPath = Annotated[
    str, PathParameter(min_length=1, max_length=community.MAX_BATCH_NAME, description="batch")
]
_PROPOSE = (
    "It posts nothing until another staff member confirms it (POST /api/grants/{id}/"
    "confirmation). Send an Idempotency-Key header to make a retry safe: the same key and the "
    "same proposal answer the first grant (replayed: true), the same key with another is a 409."
)


def grant_out(grant: community.Grant) -> schemas.GrantOut:
    return schemas.GrantOut(
        id=grant.id,
        kind=grant.kind.value,
        passbook_number=grant.passbook_number,
        holder=grant.holder_name,
        grid=grant.grid_code,
        points=grant.points,
        as_of=grant.as_of,
        reason=grant.reason,
        memo=grant.memo,
        status=grant.status.value,
        proposed_by=grant.proposed_actor,
        proposed_at=grant.proposed_at,
        decided_by=grant.decided_actor,
        decided_at=grant.decided_at,
        withdrawn=grant.withdrawn,
        reject_reason=grant.reject_reason,
        entry_id=grant.entry_id,
        batch=grant.batch,
        replayed=grant.replayed,
    )


class PassbookGrantController(Controller):
    path = "/api/passbooks"
    tags = ["opening balances and adjustments"]
    guards = [roles(Role.ADMIN)]

    @post(
        "/{number:str}/opening-balance",
        summary="Propose a passbook's opening balance, carried over from its paper passbook",
        description="A passbook gets one opening balance (409 opening_balance_exists). " + _PROPOSE,
        status_code=201,
    )
    async def propose_opening(
        self,
        number: FromPath[str],
        data: JSONBody[schemas.OpeningIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        idempotency_header: OptionalIdempotencyKeyHeader = None,
    ) -> schemas.GrantOut:
        grant = await tx.write(
            services.propose_opening,
            principal,
            passbook_number=number,
            points=data.points,
            as_of=data.as_of,
            note=data.note,
            batch=data.batch,
            key=optional_client_key(principal, idempotency_header),
        )
        return grant_out(grant)

    @post(
        "/{number:str}/adjustments",
        summary="Propose an adjustment: points for service too old for a scoring sheet",
        description=_PROPOSE,
        status_code=201,
    )
    async def propose_adjustment(
        self,
        number: FromPath[str],
        data: JSONBody[schemas.AdjustmentIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        settings: NamedDependency[Settings],
        idempotency_header: OptionalIdempotencyKeyHeader = None,
    ) -> schemas.GrantOut:
        grant = await tx.write(
            services.propose_adjustment,
            principal,
            passbook_number=number,
            points=data.points,
            as_of=data.as_of,
            reason=data.reason,
            sheet_max_age_days=settings.sheet_max_age_days,
            batch=data.batch,
            key=optional_client_key(principal, idempotency_header),
        )
        return grant_out(grant)


class GrantController(Controller):
    path = "/api/grants"
    tags = ["opening balances and adjustments"]

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.AUDITOR)],
        summary="Opening balances and adjustments under this token's unit, newest first",
    )
    async def list_grants(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        status: Annotated[schemas.GrantStatusName | None, QueryParameter()] = None,
        kind: Annotated[schemas.GrantKindName | None, QueryParameter()] = None,
        passbook: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        batch: Annotated[
            str | None, QueryParameter(min_length=1, max_length=community.MAX_BATCH_NAME)
        ] = None,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> schemas.GrantPage:
        listing = await tx.read(
            services.list_grants,
            principal,
            status=None if status is None else community.GrantStatus(status),
            kind=None if kind is None else community.GrantKind(kind),
            passbook=passbook,
            batch=batch,
            before=before,
            limit=limit,
        )
        return schemas.GrantPage(
            grants=[grant_out(g) for g in listing.grants], earlier=listing.earlier
        )

    @get(
        "/{grant_id:int}",
        guards=[roles(Role.ADMIN, Role.AUDITOR)],
        summary="An opening balance or adjustment",
    )
    async def read(
        self,
        grant_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.GrantOut:
        return grant_out(await tx.read(services.read_grant, principal, grant_id=grant_id))

    @post(
        "/{grant_id:int}/confirmation",
        guards=[roles(Role.ADMIN)],
        summary="Confirm a grant another staff member proposed: its points post to the passbook",
        description="Four eyes: the proposer cannot confirm (403 four_eyes). Confirming again "
        "posts nothing and answers the grant (replayed: true).",
        status_code=200,
    )
    async def confirm(
        self,
        grant_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.GrantOut:
        return grant_out(await tx.write(services.confirm_grant, principal, grant_id=grant_id))

    @post(
        "/{grant_id:int}/rejection",
        guards=[roles(Role.ADMIN)],
        summary="Reject a proposed grant, saying why (its proposer withdraws it so)",
        status_code=200,
    )
    async def reject(
        self,
        grant_id: IdPath,
        data: JSONBody[schemas.GrantReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.GrantOut:
        grant = await tx.write(
            services.reject_grant, principal, grant_id=grant_id, reason=data.reason
        )
        return grant_out(grant)


@post(
    "/api/grant-batches/{batch:str}/confirmation",
    guards=[roles(Role.ADMIN)],
    tags=["opening balances and adjustments"],
    summary="Confirm every proposed grant of a batch at once, or none",
    description="All or nothing: if any grant may not be confirmed by this caller (one they "
    "proposed, one whose volunteer moved away), nothing posts and 'problems' names each.",
    status_code=200,
)
async def confirm_batch(
    batch: BatchPath,
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> schemas.BatchConfirmation:
    grants = await tx.write(services.confirm_batch, principal, batch=batch)
    posted = [g for g in grants if not g.replayed]
    return schemas.BatchConfirmation(
        batch=batch.strip(),
        grants=[grant_out(g) for g in grants],
        posted=len(posted),
        points=sum(g.points for g in posted),
    )


@post(
    "/api/opening-balances/import",
    guards=[roles(Role.ADMIN)],
    tags=["opening balances and adjustments"],
    summary="Propose the opening balances of a file (.xlsx or .csv) as one batch, all or nothing",
    description="Columns 存折号, 余额 (the paper passbook's last balance), 日期 (its date) and "
    "optionally 备注 (or passbook_number, points, as_of, note); the header row first. Every "
    "problem, a cell that cannot be read or a row the books refuse (unknown passbook, outside "
    "your unit, moved away, opened already), is reported at once by row and column (422 "
    "invalid_grant, 'problems') and nothing is saved. The batch is named 'batch', or after "
    "the file's content, so sending the same file again answers the grants it made. Nothing "
    "posts until another staff member confirms the batch.",
    status_code=201,
    operation_class=file_upload("the file of opening balances"),
    request_max_body_size=MAX_UPLOAD_BYTES,
    responses={
        413: problem_response(
            f"The file is larger than {MAX_UPLOAD_BYTES} bytes; split it into several."
        ),
    },
)
async def import_openings(
    request: Request[Principal, str, State],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    batch: Annotated[
        str | None,
        QueryParameter(min_length=1, max_length=community.MAX_BATCH_NAME, description="batch"),
    ] = None,
) -> schemas.BatchProposal:
    grants = await tx.write(
        services.import_openings,
        principal,
        data=await request.body(),
        filename=upload_filename(request),
        batch=batch,
    )
    return schemas.BatchProposal(
        batch=grants[0].batch or "",
        grants=[grant_out(g) for g in grants],
        points=sum(g.points for g in grants),
        replayed=all(g.replayed for g in grants),
    )


ROUTES: list[Any] = [PassbookGrantController, GrantController, confirm_batch, import_openings]
