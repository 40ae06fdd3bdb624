"""Volunteers, council members and volunteer sign-in.

Who may do what: an admin acts only under their org unit (a grid's admin is its grid worker,
a community's its staff); a council member may read and list the volunteers and council of
their own grid, with phones masked; a volunteer may read themself and change their own phone
and leaderboard choice. Signing in needs no token: it is how a volunteer gets one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
from access import (
    SIGNED_IN,
    Principal,
    Role,
    admin_over,
    create_token,
    may_act_for,
    revoke_sign_ins,
)
from api.auth import roles
from api.problems import problem_response
from api.schemas import GridRef
from api.schemas import registry as schemas

UnitQuery = Annotated[
    str | None,
    QueryParameter(max_length=40, description="org unit code; the token's own unit by default"),
]
_OUTSIDE = "{what} is outside this token's scope: an admin acts only under their own org unit."


def _grid(code: str, name: str) -> GridRef:
    return GridRef(code=code, name=name)


def _volunteer_out(principal: Principal, v: community.Volunteer) -> schemas.VolunteerOut:
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


async def _visible_volunteer(
    conn: AsyncConnection, principal: Principal, number: str, *, for_update: bool = False
) -> community.Volunteer:
    """The volunteer, if ``principal`` may see them at all: themself, the council of their
    grid, or an admin above it. A volunteer asking for someone else is refused before the
    number is even looked up, so tokens cannot probe which numbers exist."""
    if principal.role is Role.VOLUNTEER and principal.scope != number:
        raise PermissionDeniedException("A volunteer can see only their own registration.")
    found = await community.get_volunteer(conn, number, for_update=for_update)
    if principal.role in (Role.ADMIN, Role.COUNCIL) and community.within(
        found.grid_path, principal.scope
    ):
        return found
    if principal.role is Role.VOLUNTEER:
        return found
    raise PermissionDeniedException(_OUTSIDE.format(what=f"Passbook {number}"))


async def _administered_volunteer(
    conn: AsyncConnection, principal: Principal, number: str
) -> community.Volunteer:
    """The volunteer, locked, if ``principal`` is an admin above their grid."""
    found = await community.get_volunteer(conn, number, for_update=True)
    if not admin_over(principal, found.grid_path):
        raise PermissionDeniedException(_OUTSIDE.format(what=f"Passbook {number}"))
    return found


async def _listed_unit(
    conn: AsyncConnection, principal: Principal, unit: str | None
) -> tuple[str, str]:
    """The (code, path) of the org unit to list: the token's own unit by default, else one
    inside it."""
    if unit is None:
        return principal.scope.rsplit("/", 1)[-1], principal.scope
    found = await community.find_org_unit(conn, unit)
    if found is None:
        raise community.OrgUnitNotFound(f"No org unit with code {unit!r}.")
    if not community.within(found.path, principal.scope):
        raise PermissionDeniedException(_OUTSIDE.format(what=f"Org unit {unit!r}"))
    return found.code, found.path


async def _admin_grid(conn: AsyncConnection, principal: Principal, code: str) -> community.OrgUnit:
    unit = await community.find_org_unit(conn, code)
    if unit is None:
        raise community.OrgUnitNotFound(f"No grid with code {code!r}.")
    if not admin_over(principal, unit.path):
        raise PermissionDeniedException(_OUTSIDE.format(what=f"Grid {code!r}"))
    return unit


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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> Response[schemas.VolunteerOut]:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> tuple[bool, community.Volunteer]:
            grid = await _admin_grid(conn, principal, data.grid)
            passbook, created = await community.enrol_volunteer(
                conn,
                passbook_number=data.passbook_number,
                name=data.name,
                grid_code=grid.code,
                phone=data.phone,
                leaderboard_opt_out=data.leaderboard_opt_out,
            )
            return created, await community.get_volunteer(conn, passbook.number)

        created, volunteer = await db.run_in_transaction(engine, use_case)
        return Response(_volunteer_out(principal, volunteer), status_code=201 if created else 200)

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL)],
        summary="List the volunteers of a grid or of every grid under an org unit",
    )
    async def list_volunteers(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        unit: UnitQuery = None,
        status: FromQuery[schemas.StatusName | None] = None,
        after: Annotated[
            str | None,
            QueryParameter(max_length=64, description="passbook number cursor (next_after)"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=community.MAX_LIST)] = 50,
    ) -> schemas.VolunteerList:
        principal = request.user
        async with db.read_transaction(engine) as conn:
            code, path = await _listed_unit(conn, principal, unit)
            page = await community.list_volunteers(
                conn, under_path=path, status=status, after=after, limit=limit
            )
        return schemas.VolunteerList(
            unit=code,
            volunteers=[_volunteer_out(principal, v) for v in page.volunteers],
            total=page.total,
            next_after=page.next_after,
        )

    @get("/{number:str}", summary="One volunteer's registration")
    async def read(
        self,
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.VolunteerOut:
        guard_org_or_volunteer(request.user)
        async with db.read_transaction(engine) as conn:
            found = await _visible_volunteer(conn, request.user, number)
        return _volunteer_out(request.user, found)

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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.VolunteerOut:
        principal = request.user
        fields = data.model_fields_set

        async def use_case(conn: AsyncConnection) -> community.Volunteer:
            passbook = await community.find_passbook(conn, number)
            if passbook is None or not may_act_for(principal, passbook):
                if principal.role is Role.VOLUNTEER or passbook is not None:
                    raise PermissionDeniedException(
                        "Only the volunteer themself or an admin above their grid may change "
                        "their details."
                    )
                raise community.PassbookNotFound(f"No passbook numbered {number!r}.")
            if "name" in fields and principal.role is not Role.ADMIN:
                raise PermissionDeniedException(
                    "A name is changed by the grid worker, who checks it; ask them."
                )
            changes: dict[str, Any] = {}
            if "name" in fields:
                changes["name"] = data.name
            if "phone" in fields:
                changes["phone"] = data.phone
            if "leaderboard_opt_out" in fields:
                changes["leaderboard_opt_out"] = data.leaderboard_opt_out
            return await community.update_volunteer(conn, number, **changes)

        updated = await db.run_in_transaction(engine, use_case)
        return _volunteer_out(principal, updated)

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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.VolunteerOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> community.Volunteer:
            await _administered_volunteer(conn, principal, number)
            return await community.set_volunteer_status(conn, number, data.status)

        return _volunteer_out(principal, await db.run_in_transaction(engine, use_case))

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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.MovedOut:
        principal = request.user

        async def use_case(
            conn: AsyncConnection,
        ) -> tuple[community.Volunteer, community.VolunteerMove]:
            await _administered_volunteer(conn, principal, number)
            grid = await community.target_grid(conn, data.to_grid)
            if not admin_over(principal, grid.path):
                raise PermissionDeniedException(
                    f"Grid {grid.code!r} is outside this token's scope: moving a volunteer "
                    "needs an admin over both the old and the new grid (their community's "
                    "staff, or the street's)."
                )
            return await community.move_volunteer(
                conn, number, to_grid_code=grid.code, actor=principal.actor
            )

        moved, record = await db.run_in_transaction(engine, use_case)
        return schemas.MovedOut(volunteer=_volunteer_out(principal, moved), move=_move_out(record))

    @get("/{number:str}/moves", summary="A volunteer's moves between grids, oldest first")
    async def moves(
        self,
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.MoveList:
        guard_org_or_volunteer(request.user)
        async with db.read_transaction(engine) as conn:
            found = await _visible_volunteer(conn, request.user, number)
            moves = await community.volunteer_moves(conn, found.passbook_number)
        return schemas.MoveList(
            passbook_number=found.passbook_number, moves=[_move_out(m) for m in moves]
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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.VolunteerOut:
        principal = request.user
        community.check_pin_rules(data.pin)  # before any lock is taken

        async def use_case(conn: AsyncConnection) -> community.Volunteer:
            await _administered_volunteer(conn, principal, number)
            changed = await community.set_pin(conn, number, data.pin)
            await revoke_sign_ins(conn, changed.passbook_number, datetime.now(UTC))
            return changed

        return _volunteer_out(principal, await db.run_in_transaction(engine, use_case))


def guard_org_or_volunteer(principal: Principal) -> None:
    if principal.role not in (Role.ADMIN, Role.COUNCIL, Role.VOLUNTEER):
        raise PermissionDeniedException(
            f"A {principal.role} token cannot see volunteers' registrations."
        )


@post(
    "/api/sign-in",
    exclude_from_auth=True,
    security=[{}],
    tags=["volunteers"],
    summary="A volunteer signs in with passbook number and PIN",
    description="Returns a volunteer token valid for 12 hours. After 3 wrong PINs in a row "
    "each further try must wait (429 with Retry-After: 30 s, then 60 s); at 5 sign-in is "
    "locked for 15 minutes (423) unless the grid worker resets the PIN. A wrong number and a "
    "wrong PIN get the same answer (401).",
    status_code=200,
    responses={
        401: problem_response("The passbook number or the PIN is wrong (which is not told)."),
        423: problem_response(
            "Sign-in is locked after too many wrong PINs; wait, or ask the grid worker to "
            "reset the PIN."
        ),
        429: problem_response("Too many wrong PINs in a row: wait Retry-After seconds."),
    },
)
async def sign_in(
    data: JSONBody[schemas.SignInIn], engine: NamedDependency[AsyncEngine]
) -> schemas.SignInOut:
    now = datetime.now(UTC)

    async def use_case(conn: AsyncConnection) -> tuple[community.SignInCheck, str | None]:
        check = await community.check_pin(
            conn, passbook_number=data.passbook_number, pin=data.pin, now=now
        )
        if check.volunteer is None:
            return check, None  # commit the recorded failure, then refuse
        raw, _ = await create_token(
            conn,
            role=Role.VOLUNTEER,
            scope=check.volunteer.passbook_number,
            label=f"{check.volunteer.name}{SIGNED_IN}",
            valid_for=community.SIGN_IN_VALID_FOR,
            now=now,
        )
        return check, raw

    check, raw = await db.run_in_transaction(engine, use_case)
    if check.refusal is not None:
        raise check.refusal
    assert check.volunteer is not None
    assert raw is not None
    return schemas.SignInOut(
        token=raw,
        expires_at=now + community.SIGN_IN_VALID_FOR,
        expires_in=int(community.SIGN_IN_VALID_FOR / timedelta(seconds=1)),
        passbook_number=check.volunteer.passbook_number,
        holder=check.volunteer.name,
    )


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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> Response[schemas.CouncilMemberOut]:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> tuple[community.CouncilMember, bool]:
            grid = await _admin_grid(conn, principal, data.grid)
            if data.passbook_number is not None:
                passbook = await community.find_passbook(conn, data.passbook_number.strip().upper())
                if passbook is not None and not admin_over(principal, passbook.grid_path):
                    raise PermissionDeniedException(
                        _OUTSIDE.format(what=f"Passbook {passbook.number}")
                    )
            return await community.appoint_council_member(
                conn,
                code=data.code,
                name=data.name,
                grid_code=grid.code,
                phone=data.phone,
                passbook_number=data.passbook_number,
            )

        member, created = await db.run_in_transaction(engine, use_case)
        return Response(_member_out(principal, member), status_code=201 if created else 200)

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL)],
        summary="List the council members of a grid or of every grid under an org unit",
    )
    async def list_members(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        unit: UnitQuery = None,
        include_stepped_down: FromQuery[bool] = False,
    ) -> schemas.CouncilMemberList:
        principal = request.user
        async with db.read_transaction(engine) as conn:
            code, path = await _listed_unit(conn, principal, unit)
            members = await community.list_council_members(
                conn, under_path=path, include_stepped_down=include_stepped_down
            )
        return schemas.CouncilMemberList(
            unit=code, members=[_member_out(principal, m) for m in members]
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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.CouncilMemberOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> community.CouncilMember:
            await _administered_member(conn, principal, code)
            return await community.step_down_council_member(conn, code)

        return _member_out(principal, await db.run_in_transaction(engine, use_case))

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
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.CouncilTokenOut:
        principal = request.user
        now = datetime.now(UTC)
        valid_for = timedelta(days=data.valid_days)

        async def use_case(conn: AsyncConnection) -> tuple[str, community.CouncilMember]:
            member = await _administered_member(conn, principal, code)
            if not member.active:
                raise community.CouncilMemberSteppedDown(
                    f"Council member {code!r} stepped down and can no longer act; add the "
                    "person again under a new code if they return to the council."
                )
            raw, _ = await create_token(
                conn,
                role=Role.COUNCIL,
                scope=member.code,
                label=data.label or f"{member.name} ({member.code})",
                valid_for=valid_for,
                now=now,
            )
            return raw, member

        raw, member = await db.run_in_transaction(engine, use_case)
        return schemas.CouncilTokenOut(
            token=raw, expires_at=now + valid_for, member=_member_out(principal, member)
        )


async def _administered_member(
    conn: AsyncConnection, principal: Principal, code: str
) -> community.CouncilMember:
    member = await community.find_council_member(conn, code)
    if member is None:
        raise community.CouncilMemberNotFound(f"No council member with code {code!r}.")
    if not admin_over(principal, member.grid_path):
        raise PermissionDeniedException(_OUTSIDE.format(what=f"Council member {code!r}"))
    return member


ROUTES: list[Any] = [VolunteerController, CouncilMemberController, sign_in]
