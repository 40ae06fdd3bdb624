"""One-time sign-in codes: an admin issues one for a staff or counter device (shown once),
lists the open ones and revokes one; a device exchanges a code, once, for a credential.

Who may issue which code is :mod:`office`'s rule (the credentials' one, written once); the
guard only refuses a role other than admin before any work. The exchange needs no token (it
is how a device gets one) and runs in one transaction that counts the attempt per client
address whatever its outcome, so the refusal is raised only after that commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

import db
import office
from access import Principal, Role, SignInCodeRecord
from api.auth import roles
from api.problems import problem_response
from api.routes._common import EXACT_MAX_ID, MAX_ID
from api.schemas import sign_in_codes as schemas

CodeIdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, schema_extra=EXACT_MAX_ID)]


def code_out(record: SignInCodeRecord) -> schemas.SignInCodeOut:
    return schemas.SignInCodeOut(
        id=record.id,
        role=record.role.value,
        scope=record.scope,
        label=record.label,
        created_at=record.created_at,
        created_by=record.created_by,
        expires_at=record.expires_at,
    )


class SignInCodeController(Controller):
    path = "/api/sign-in-codes"
    tags = ["credentials"]
    guards = [roles(Role.ADMIN)]

    @post(
        "/",
        summary="Issue a one-time sign-in code for a staff or counter device (shown once)",
        description="Whoever may issue that credential may issue its code. The code (XXXX-XXXX) "
        "lives valid_minutes (10 unless told, at most 60) and becomes, once, a credential "
        "valid for 12 hours (POST /api/sign-in-codes/redemption, or the page at link_path).",
        status_code=201,
    )
    async def issue(
        self,
        data: JSONBody[schemas.SignInCodeIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.IssuedSignInCodeOut:
        issued = await tx.write(
            office.issue_sign_in_code,
            principal,
            role=Role(data.role),
            scope=data.scope,
            label=data.label,
            valid_for=timedelta(minutes=data.valid_minutes),
        )
        return schemas.IssuedSignInCodeOut(
            code=issued.code,
            link_path=issued.link_path,
            expires_at=issued.expires_at,
            sign_in_code=code_out(issued.record),
        )

    @get("/", summary="The open sign-in codes this admin could issue, newest first (never a code)")
    async def list_codes(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> schemas.SignInCodeList:
        listed = await tx.read(office.list_sign_in_codes, principal)
        return schemas.SignInCodeList(sign_in_codes=[code_out(r) for r in listed])

    @post(
        "/{code_id:int}/revocation",
        summary="Revoke an open sign-in code: exchanging it is refused from now on",
        status_code=200,
    )
    async def revoke(
        self,
        code_id: CodeIdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.SignInCodeOut:
        return code_out(await tx.write(office.revoke_sign_in_code, principal, code_id=code_id))


@post(
    "/api/sign-in-codes/redemption",
    exclude_from_auth=True,
    security=[{}],
    tags=["credentials"],
    summary="A device exchanges a one-time sign-in code for a credential",
    description="Returns a token of the code's role and scope valid for 12 hours; the code "
    "works once. An unknown, used, expired or revoked code gets one answer (401), never "
    "telling which; after 5 wrong codes from one client address each further try waits (429 "
    "with Retry-After: 30 s, doubling, at most 15 minutes), the right code included.",
    status_code=200,
    responses={
        401: problem_response("The code does not work (unknown, used or expired: not told)."),
        429: problem_response("Too many wrong codes from this address: wait Retry-After."),
    },
)
async def redeem(
    request: Request[Any, Any, Any],
    data: JSONBody[schemas.RedemptionIn],
    tx: NamedDependency[db.Transactions],
) -> schemas.RedemptionOut:
    outcome = await tx.write(
        office.redeem_sign_in_code,
        code=data.code,
        address=request.client.host if request.client else "unknown",
    )
    issued = outcome.accepted()  # raised only now: the attempt's count is committed
    assert issued.expires_at is not None
    return schemas.RedemptionOut(
        token=issued.token,
        expires_at=issued.expires_at,
        expires_in=int(office.SESSION_LIFE / timedelta(seconds=1)),
        role=issued.principal.role.value,
        scope=issued.principal.scope,
        label=issued.principal.label,
    )


ROUTES: list[Any] = [SignInCodeController, redeem]
