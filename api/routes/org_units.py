"""The org tree: communities under the street and grids under a community, added, listed,
renamed and closed.

Who may do what is checked by the use cases (:mod:`office`): an admin adds, renames and
closes units in their own unit's subtree (a community's admin adds its grids; only an admin
over the street adds communities); admins, auditors and council members list their own
subtree. The guards here only refuse a wrong role before any work.
"""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

import db
import office
from access import Principal, Role
from api.auth import roles
from api.problems import problem_response
from api.schemas import org_units as schemas


def unit_out(view: office.OrgUnitView) -> schemas.OrgUnitOut:
    unit = view.unit
    return schemas.OrgUnitOut(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        parent=view.parent_code,
        path=unit.path,
        closed=unit.closed,
        closed_at=unit.closed_at,
        closed_by=unit.closed_by,
        active_volunteers=view.active_volunteers,
    )


class OrgUnitController(Controller):
    path = "/api/org-units"
    tags = ["org tree"]

    @post(
        "/",
        guards=[roles(Role.ADMIN)],
        summary="Add a community under the street or a grid under a community",
        description="Opens the unit's issuance account in the same transaction. Idempotent on "
        "the code: 201 when added now, 200 when it already was with the same kind, parent and "
        "name, 409 when the code is taken otherwise. A closed parent takes no new units (409).",
        status_code=201,
    )
    async def add(
        self,
        data: JSONBody[schemas.OrgUnitIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> Response[schemas.OrgUnitOut]:
        added = await tx.write(
            office.add_org_unit,
            principal,
            code=data.code,
            name=data.name,
            kind=data.kind,
            parent_code=data.parent,
        )
        return Response(unit_out(added.view), status_code=201 if added.created else 200)

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.AUDITOR, Role.COUNCIL)],
        summary="The org units of the caller's own unit and under it",
    )
    async def list_units(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> schemas.OrgUnitList:
        tree = await tx.read(office.list_org_units, principal)
        return schemas.OrgUnitList(scope=tree.scope, units=[unit_out(v) for v in tree.units])

    @patch(
        "/{code:str}",
        guards=[roles(Role.ADMIN)],
        summary="Rename or close a community or grid",
        description="An admin of the unit or above renames it; an admin above it closes it. "
        "Closing is refused (409 org_unit_not_empty) while the unit has active volunteers, "
        "open scoring sheets (draft or submitted) or open units under it: the answer says "
        "what is left (active_volunteers, open_sheets, open_units). Closing a closed unit "
        "again changes nothing; the street is never closed.",
        responses={
            409: problem_response(
                "The unit cannot be closed yet (org_unit_not_empty, with what is left), or the "
                "change conflicts with the books."
            )
        },
    )
    async def change(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.OrgUnitChange],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.OrgUnitOut:
        view = await tx.write(
            office.change_org_unit,
            principal,
            code=code,
            name=data.name,
            close=bool(data.closed),
        )
        return unit_out(view)


ROUTES = [OrgUnitController]
