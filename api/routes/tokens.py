"""Credentials, managed: an admin lists, issues and revokes the credentials within their reach.

Who reaches which credential is decided by :mod:`office` (``office.issue_credential``,
``list_credentials``, ``revoke_credential``), the same rule as the command line's; the guard
here only refuses a role other than admin before any work. A credential's hash never leaves
the service; its text is shown once, in the answer that made it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

import db
import office
from access import Principal, Role, TokenRecord
from api.auth import roles
from api.routes._common import EXACT_MAX_ID, MAX_ID
from api.schemas import tokens as schemas
from scheme_time import utcnow

TokenIdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, schema_extra=EXACT_MAX_ID)]
RoleQuery = Annotated[schemas.RoleName | None, QueryParameter(description="only this role")]
ScopeQuery = Annotated[
    str | None,
    QueryParameter(
        name="scope",
        min_length=1,
        max_length=200,
        description="only those made for this: an org unit code, a council member's code, a "
        "passbook number or a merchant code",
    ),
]


def credential_out(record: TokenRecord, now: datetime) -> schemas.CredentialOut:
    return schemas.CredentialOut(
        id=record.id,
        role=record.role.value,
        scope=record.scope,
        council_member=record.member,
        label=record.label,
        state=record.state(now).value,
        created_at=record.created_at,
        created_by=record.created_by,
        last_used_at=record.last_used_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        revoked_by=record.revoked_by,
    )


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["credentials"]
    guards = [roles(Role.ADMIN)]

    @get("/", summary="The credentials within this admin's unit, newest first (never a hash)")
    async def list_tokens(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        role: RoleQuery = None,
        made_for: ScopeQuery = None,
        include_inactive: FromQuery[bool] = False,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> schemas.CredentialPage:
        listed = await tx.read(
            office.list_credentials,
            principal,
            role=None if role is None else Role(role),
            scope=made_for,
            include_inactive=include_inactive,
            before=before,
            limit=limit,
        )
        return schemas.CredentialPage(
            credentials=[credential_out(r, listed.now) for r in listed.page.items],
            earlier=listed.page.earlier,
        )

    @post(
        "/",
        summary="Issue a merchant, auditor, council or admin (grid worker) credential (shown once)",
        status_code=201,
    )
    async def issue(
        self,
        data: JSONBody[schemas.CredentialIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.IssuedCredentialOut:
        issued = await tx.write(
            office.issue_credential,
            principal,
            role=Role(data.role),
            scope=data.scope,
            label=data.label,
            valid_for=timedelta(days=data.valid_days),
        )
        return schemas.IssuedCredentialOut(
            token=issued.token, credential=credential_out(issued.record, utcnow())
        )

    @post(
        "/{token_id:int}/revocation",
        summary="Revoke a credential for good; the next request with it gets 401",
        status_code=200,
    )
    async def revoke(
        self,
        token_id: TokenIdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.RevocationOut:
        revocation = await tx.write(office.revoke_credential, principal, token_id=token_id)
        return schemas.RevocationOut(
            credential=credential_out(revocation.record, utcnow()),
            revoked_now=revocation.revoked_now,
        )


ROUTES: list[Any] = [TokenController]
