"""Take-backs: confirming, declining and withdrawing a proposal to reverse a posted sheet or
correct one of its lines (the proposals are made under ``/api/sheets``).

Four eyes: only a confirmation moves points, and only by another person than the proposer
(:mod:`council.services.takebacks`). Confirming is naturally idempotent: the same person
confirming again gets the take-back back (``replayed``), and the points moved once.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

import db
from access import Principal, Role
from api.auth import roles
from api.routes._common import MAX_ID, IdPath
from api.routes._council_out import takeback_out
from api.schemas import council as cs
from council import services


class TakebackController(Controller):
    path = "/api/takebacks"
    tags = ["scoring sheets"]

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="The take-backs in this token's unit waiting for a second person, newest first",
        description="open=false lists decided ones too. A council member sees their grid's, "
        "staff and auditors every grid under their unit.",
    )
    async def list_open(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        open_only: Annotated[
            bool, QueryParameter(name="open", description="false: decided ones too")
        ] = True,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> cs.TakebackPage:
        page = await tx.read(
            services.takebacks_to_decide, principal, open_only=open_only, before=before, limit=limit
        )
        return cs.TakebackPage(
            takebacks=[takeback_out(t) for t in page.items], earlier=page.earlier
        )

    @get(
        "/{takeback_id:int}",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="A take-back proposal and what became of it",
    )
    async def read(
        self,
        takeback_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackOut:
        found = await tx.read(services.read_takeback, principal, takeback_id=takeback_id)
        return takeback_out(found)

    @post(
        "/{takeback_id:int}/confirmation",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Confirm someone else's take-back: the points are taken back now",
        description="Another person than the proposer: a council member of the sheet's grid "
        "or an admin over it. Sent again by the same person it answers the same take-back "
        "(replayed: true); the points move once.",
        status_code=200,
    )
    async def confirm(
        self,
        takeback_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackOut:
        done = await tx.write(services.confirm_takeback, principal, takeback_id=takeback_id)
        return takeback_out(done)

    @post(
        "/{takeback_id:int}/declination",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Decline someone else's take-back, saying why; nothing moves",
        status_code=200,
    )
    async def decline(
        self,
        takeback_id: IdPath,
        data: JSONBody[cs.ReasonIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackOut:
        done = await tx.write(
            services.decline_takeback, principal, takeback_id=takeback_id, reason=data.reason
        )
        return takeback_out(done)

    @post(
        "/{takeback_id:int}/withdrawal",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Withdraw your own take-back proposal; nothing moves",
        status_code=200,
    )
    async def withdraw(
        self,
        takeback_id: IdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.TakebackOut:
        done = await tx.write(services.withdraw_takeback, principal, takeback_id=takeback_id)
        return takeback_out(done)


ROUTES: list[Any] = [TakebackController]
