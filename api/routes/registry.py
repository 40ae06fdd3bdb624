"""Volunteers, council members and volunteer sign-in.

Who may do what is checked by the use cases (:mod:`community.services`); the guards here only
refuse a wrong role before any work. An admin acts only under their org unit (a grid's admin
is its grid worker, a community's its staff); a council member may read and list the
volunteers and council of their own grid, with phones masked; a volunteer may read themself
and change their own phone and leaderboard choice. Signing in needs no token: it is how a
volunteer gets one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

import community
import db
import office
from access import Principal, Role, admin_over
from api.auth import roles
from api.schemas import GridRef
from api.schemas import registry as schemas
from community import services

UnitQuery = Annotated[
    str | None,
    QueryParameter(max_length=40, description="org unit code; the token's own unit by default"),
]


def _grid(code: str, name: str) -> GridRef:
    return GridRef(code=code, name=name)


def volunteer_out(principal: Principal, v: community.Volunteer) -> schemas.VolunteerOut:
    own = principal.role is Role.VOLUNTEER and principal.scope == v.passbook_number
    full = own or admin_over(principal, v.grid_path)
    return schemas.VolunteerOut(
        passbook_number=v.passbook_number,
        name=v.name,
        grid=_grid(v.grid_code, v.grid_name),
        phone=v.phone if full else community.mask_phone(v.phone),
        phone_masked=not full and v.phone is not None,
        status=v.status,
        leaderboard_opt_out=v.leaderboard_opt_out,
        registered_at=v.registered_at,
        joined_on=v.joined_on,
        sign_in=schemas.SignInStatus(
            pin_set=v.pin_set,
            wrong_pins_in_a_row=v.pin_failures,
            locked_until=v.pin_locked_until,
        )
        if full
        else None,
    )


def _move_out(move: community.VolunteerMove) -> schemas.MoveOut:
    return schemas.MoveOut(
        from_grid=_grid(move.from_grid_code, move.from_grid_name),
        to_grid=_grid(move.to_grid_code, move.to_grid_name),
        moved_at=move.moved_at,
        actor=move.actor,
    )


def _member_out(principal: Principal, m: community.CouncilMember) -> schemas.CouncilMemberOut:
    admin = admin_over(principal, m.grid_path)
    return schemas.CouncilMemberOut(
        code=m.code,
        name=m.name,
        grid=_grid(m.grid_code, m.grid_name),
        phone=m.phone if admin else community.mask_phone(m.phone),
        phone_masked=not admin and m.phone is not None,
        active=m.active,
        passbook_number=m.passbook_number if admin else None,
    )


class VolunteerController(Controller):
    path = "/api/volunteers"
    tags = ["volunteers"]

    @post(
        "/",
        guards=[roles(Role.ADMIN)],
        summary="Register a volunteer and open their passbook",
        description="Idempotent on the passbook number: 201 when registered now, 200 when it "
        "already was with the same data, 409 when it was with different data.",
        status_code=201,
    )
    async def register(
        self,
        data: JSONBody[schemas.VolunteerIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> Response[schemas.VolunteerOut]:
        registered = await tx.write(
            services.register_volunteer,
            principal,
            passbook_number=data.passbook_number,
            name=data.name,
            grid=data.grid,
            phone=data.phone,
            leaderboard_opt_out=data.leaderboard_opt_out,
            joined_on=data.joined_on,
        )
        return Response(
            volunteer_out(principal, registered.volunteer),
            status_code=201 if registered.created else 200,
        )

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL)],
        summary="List the volunteers of a grid or of every grid under an org unit",
    )
    async def list_volunteers(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        unit: UnitQuery = None,
        status: FromQuery[schemas.StatusName | None] = None,
        after: Annotated[
            str | None,
            QueryParameter(max_length=64, description="passbook number cursor (next_after)"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=community.MAX_LIST)] = 50,
        search: Annotated[
            str | None,
            QueryParameter(
                max_length=64,
                description="only passbook numbers starting with it, or names containing it",
            ),
        ] = None,
    ) -> schemas.VolunteerList:
        listing = await tx.read(
            services.list_volunteers,
            principal,
            unit=unit,
            status=status,
            after=after,
            limit=limit,
            search=search,
        )
        return schemas.VolunteerList(
            unit=listing.unit,
            volunteers=[volunteer_out(principal, v) for v in listing.page.volunteers],
            total=listing.page.total,
            next_after=listing.page.next_after,
        )

    @get("/{number:str}", summary="One volunteer's registration")
    async def read(
        self,
        number: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VolunteerOut:
        found = await tx.read(services.see_volunteer, principal, number=number)
        return volunteer_out(principal, found)

    @patch(
        "/{number:str}",
        summary="Change a volunteer's name, phone or leaderboard choice",
        description="Admins in scope change any of them; a volunteer may change their own "
        "phone and leaderboard choice.",
    )
    async def change(
        self,
        number: FromPath[str],
        data: JSONBody[schemas.VolunteerChange],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VolunteerOut:
        sent = data.model_fields_set
        updated = await tx.write(
            services.change_volunteer,
            principal,
            number=number,
            name=data.name if "name" in sent else None,
            phone=data.phone if "phone" in sent else community.KEEP,
            leaderboard_opt_out=data.leaderboard_opt_out if "leaderboard_opt_out" in sent else None,
        )
        return volunteer_out(principal, updated)

    @put(
        "/{number:str}/status",
        guards=[roles(Role.ADMIN)],
        summary="Mark a volunteer active or moved away",
        description="A moved-away volunteer cannot sign in and their volunteer tokens stop "
        "working; the passbook and its history stay.",
    )
    async def set_status(
        self,
        number: FromPath[str],
        data: JSONBody[schemas.StatusIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VolunteerOut:
        marked = await tx.write(
            services.set_volunteer_status, principal, number=number, status=data.status
        )
        return volunteer_out(principal, marked)

    @post(
        "/{number:str}/move",
        guards=[roles(Role.ADMIN)],
        summary="Move a volunteer to another grid; the passbook and its history stay",
        status_code=200,
    )
    async def move(
        self,
        number: FromPath[str],
        data: JSONBody[schemas.MoveIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.MovedOut:
        moved = await tx.write(
            services.move_volunteer, principal, number=number, to_grid=data.to_grid
        )
        return schemas.MovedOut(
            volunteer=volunteer_out(principal, moved.volunteer), move=_move_out(moved.move)
        )

    @get("/{number:str}/moves", summary="A volunteer's moves between grids, oldest first")
    async def moves(
        self,
        number: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.MoveList:
        history = await tx.read(services.volunteer_moves, principal, number=number)
        return schemas.MoveList(
            passbook_number=history.volunteer.passbook_number,
            moves=[_move_out(m) for m in history.moves],
        )

    @put(
        "/{number:str}/pin",
        guards=[roles(Role.ADMIN)],
        summary="Set or reset a volunteer's sign-in PIN",
        description="4 to 6 digits, not easy to guess. Clears the count of wrong PINs and any "
        "lock, and signs the volunteer out of every session opened with the old PIN. Only a "
        "salted scrypt hash is stored.",
    )
    async def set_pin(
        self,
        number: FromPath[str],
        data: JSONBody[schemas.PinIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VolunteerOut:
        changed = await tx.write(services.set_pin, principal, number=number, pin=data.pin)
        return volunteer_out(principal, changed)


class CouncilMemberController(Controller):
    path = "/api/council-members"
    tags = ["council members"]

    @post(
        "/",
        guards=[roles(Role.ADMIN)],
        summary="Add a council member to a grid",
        description="Idempotent on the code: 201 when added now, 200 when already there with "
        "the same data, 409 otherwise (codes are never reused).",
        status_code=201,
    )
    async def add(
        self,
        data: JSONBody[schemas.CouncilMemberIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> Response[schemas.CouncilMemberOut]:
        added = await tx.write(
            services.add_council_member,
            principal,
            code=data.code,
            name=data.name,
            grid=data.grid,
            phone=data.phone,
            passbook_number=data.passbook_number,
        )
        return Response(
            _member_out(principal, added.member), status_code=201 if added.created else 200
        )

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL)],
        summary="List the council members of a grid or of every grid under an org unit",
    )
    async def list_members(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        unit: UnitQuery = None,
        include_stepped_down: FromQuery[bool] = False,
    ) -> schemas.CouncilMemberList:
        listing = await tx.read(
            services.list_council_members,
            principal,
            unit=unit,
            include_stepped_down=include_stepped_down,
        )
        return schemas.CouncilMemberList(
            unit=listing.unit, members=[_member_out(principal, m) for m in listing.members]
        )

    @post(
        "/{code:str}/step-down",
        guards=[roles(Role.ADMIN)],
        summary="A council member steps down; their tokens stop working at once",
        status_code=200,
    )
    async def step_down(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.CouncilMemberOut:
        member = await tx.write(services.step_down_council_member, principal, code=code)
        return _member_out(principal, member)

    @post(
        "/{code:str}/tokens",
        guards=[roles(Role.ADMIN)],
        summary="Issue a council token for a council member (shown once)",
        status_code=201,
    )
    async def issue_token(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.CouncilTokenIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.CouncilTokenOut:
        issued = await tx.write(
            office.issue_credential,
            principal,
            role=Role.COUNCIL,
            scope=code,
            label=data.label,
            valid_for=timedelta(days=data.valid_days),
        )
        assert issued.expires_at is not None
        assert issued.member is not None
        return schemas.CouncilTokenOut(
            token=issued.token,
            expires_at=issued.expires_at,
            member=_member_out(principal, issued.member),
        )


ROUTES: list[Any] = [VolunteerController, CouncilMemberController]
