"""Volunteers as people: reading and listing them, changing their details and status, and
moving them between grids.

Invariants: a volunteer keeps one passbook (number, account and history) for life, whatever
grid they are in; every move between grids leaves a ``volunteer_move`` row saying from where,
to where, when and who did it; a move goes to another grid, never to the same one or to a
community or street. Changes to one volunteer are serialised by locking their row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import ledger
from community._cleaning import clean_name, clean_phone
from community._org_units import OrgUnit, find_org_unit, get_open_org_unit, require_open, under
from community._tables import org_unit, volunteer, volunteer_move
from community._words import kind_word
from community.errors import (
    InvalidPerson,
    OrgUnitNotFound,
    PassbookNotFound,
    VolunteerMoveRefused,
)
from i18n import _

MAX_LIST = 200


class VolunteerStatus(enum.StrEnum):
    """Whether a volunteer lives in the scheme: only an active one signs in and acts."""

    ACTIVE = "active"
    MOVED_AWAY = "moved_away"


class Keep(enum.Enum):
    """The type of :data:`KEEP`."""

    KEEP = "keep"


KEEP = Keep.KEEP
"""Leave this detail as it is (where None would mean: remove it)."""


@dataclass(frozen=True, slots=True)
class Volunteer:
    """A volunteer and their passbook, as the registry keeps them."""

    id: int
    passbook_number: str
    name: str
    grid_code: str
    grid_name: str
    grid_path: str
    phone: str | None
    status: VolunteerStatus
    leaderboard_opt_out: bool
    registered_at: datetime
    account_id: ledger.AccountId
    pin_set: bool
    pin_failures: int
    pin_locked_until: datetime | None
    joined_on: date


@dataclass(frozen=True, slots=True)
class VolunteerMove:
    from_grid_code: str
    from_grid_name: str
    to_grid_code: str
    to_grid_name: str
    moved_at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class VolunteerPage:
    volunteers: list[Volunteer]
    total: int
    next_after: str | None


def _query() -> Select[Any]:
    return select(
        volunteer.c.id,
        volunteer.c.passbook_number,
        volunteer.c.name,
        org_unit.c.code,
        org_unit.c.name,
        org_unit.c.path,
        volunteer.c.phone,
        volunteer.c.status,
        volunteer.c.leaderboard_opt_out,
        volunteer.c.registered_at,
        volunteer.c.account_id,
        volunteer.c.pin_hash.is_not(None),
        volunteer.c.pin_failures,
        volunteer.c.pin_locked_until,
        volunteer.c.joined_on,
    ).join(org_unit, org_unit.c.id == volunteer.c.grid_id)


def _status(status: VolunteerStatus | str) -> VolunteerStatus:
    try:
        return VolunteerStatus(status)
    except ValueError:
        raise InvalidPerson(
            _("Unknown status {status!r}: use 'active' or 'moved_away'.", status=status)
        ) from None


def _volunteer(row: Row[Any]) -> Volunteer:
    values = list(row)
    values[7] = VolunteerStatus(values[7])
    values[10] = ledger.AccountId(values[10])
    values[11] = bool(values[11])
    return Volunteer(*values)


async def find_volunteer(
    conn: AsyncConnection, number: str, *, for_update: bool = False
) -> Volunteer | None:
    query = _query().where(volunteer.c.passbook_number == number)
    if for_update:
        query = query.with_for_update(of=volunteer)
    row = (await conn.execute(query)).first()
    return None if row is None else _volunteer(row)


async def get_volunteer(
    conn: AsyncConnection, number: str, *, for_update: bool = False
) -> Volunteer:
    found = await find_volunteer(conn, number, for_update=for_update)
    if found is None:
        raise PassbookNotFound(
            _("No passbook numbered {number!r}. Check the number on the cover.", number=number)
        )
    return found


async def list_volunteers(
    conn: AsyncConnection,
    *,
    under_path: str,
    status: VolunteerStatus | str | None = None,
    after: str | None = None,
    limit: int = 50,
    search: str | None = None,
) -> VolunteerPage:
    """The volunteers of every grid under the org unit at ``under_path``, by passbook number,
    ``limit`` at a time after the number ``after``; with ``search``, only those whose passbook
    number starts with it or whose name contains it (any case; ``%`` and ``_`` are plain
    characters)."""
    where = [under(under_path)]
    if status is not None:
        where.append(volunteer.c.status == _status(status).value)
    if search and search.strip():
        text = search.strip()
        where.append(
            or_(
                volunteer.c.passbook_number.istartswith(text, autoescape=True),
                volunteer.c.name.icontains(text, autoescape=True),
            )
        )
    total = await conn.scalar(
        select(func.count())
        .select_from(volunteer.join(org_unit, org_unit.c.id == volunteer.c.grid_id))
        .where(*where)
    )
    query = _query().where(*where)
    if after is not None:
        query = query.where(volunteer.c.passbook_number > after)
    # One row more than the page tells whether another page follows (db.fetch_size); the
    # cursor is a passbook number, not an int, so db.page_of does not fit.
    query = query.order_by(volunteer.c.passbook_number).limit(db.fetch_size(limit))
    rows = (await conn.execute(query)).all()
    page = [_volunteer(row) for row in rows[:limit]]
    more = len(rows) > limit
    return VolunteerPage(page, int(total or 0), page[-1].passbook_number if more else None)


async def update_volunteer(
    conn: AsyncConnection,
    number: str,
    *,
    name: str | None = None,
    phone: str | Keep | None = KEEP,
    leaderboard_opt_out: bool | None = None,
) -> Volunteer:
    """Change a volunteer's name, phone (None removes it) or leaderboard choice; what is not
    given stays as it is."""
    await get_volunteer(conn, number, for_update=True)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = clean_name(name)
    if phone is not KEEP:
        values["phone"] = clean_phone(phone)
    if leaderboard_opt_out is not None:
        values["leaderboard_opt_out"] = leaderboard_opt_out
    if values:
        await conn.execute(
            update(volunteer).where(volunteer.c.passbook_number == number).values(**values)
        )
    return await get_volunteer(conn, number)


async def set_volunteer_status(
    conn: AsyncConnection, number: str, status: VolunteerStatus | str
) -> Volunteer:
    """Mark a volunteer active or moved away. A moved-away volunteer cannot sign in and their
    volunteer tokens stop working; the passbook and its history stay. A volunteer is made
    active again only in an open grid (:class:`OrgUnitClosed`: move them to an open one)."""
    try:
        status = VolunteerStatus(status)
    except ValueError:
        raise InvalidPerson(
            _("Unknown status {status!r}: use 'active' or 'moved_away'.", status=status)
        ) from None
    found = await get_volunteer(conn, number, for_update=True)
    if status is VolunteerStatus.ACTIVE and found.status is not VolunteerStatus.ACTIVE:
        await get_open_org_unit(conn, found.grid_code, "An active volunteer")
    await conn.execute(
        update(volunteer).where(volunteer.c.passbook_number == number).values(status=status.value)
    )
    return await get_volunteer(conn, number)


async def target_grid(conn: AsyncConnection, grid_code: str) -> OrgUnit:
    """The grid a volunteer is to move to, held against a concurrent close; a community or
    street is refused, and so is a closed grid."""
    unit = await find_org_unit(conn, grid_code, lock=True)
    if unit is None:
        raise OrgUnitNotFound(_("No grid with code {grid_code!r}.", grid_code=grid_code))
    if unit.kind != "grid":
        raise VolunteerMoveRefused(
            _(
                "{grid_code!r} is a {kind}, not a grid: a volunteer moves to one grid.",
                grid_code=grid_code,
                kind=kind_word(unit.kind),
            ),
            to_grid=grid_code,
        )
    require_open(unit, _("a volunteer"))
    return unit


async def move_volunteer(
    conn: AsyncConnection,
    number: str,
    *,
    to_grid_code: str,
    actor: str,
    now: datetime | None = None,
) -> tuple[Volunteer, VolunteerMove]:
    """Move a volunteer to another grid. Their passbook (number, account, history) stays; the
    move is recorded with who made it."""
    now = now or datetime.now(UTC)
    current = await get_volunteer(conn, number, for_update=True)
    grid = await target_grid(conn, to_grid_code)
    if grid.code == current.grid_code:
        raise VolunteerMoveRefused(
            _(
                "Passbook {number} is already in grid {grid_name} ({code}); choose the "
                "grid they are moving to.",
                number=number,
                grid_name=current.grid_name,
                code=grid.code,
            ),
            to_grid=grid.code,
        )
    from_id = await conn.scalar(
        select(volunteer.c.grid_id).where(volunteer.c.passbook_number == number)
    )
    await conn.execute(
        update(volunteer).where(volunteer.c.id == current.id).values(grid_id=grid.id)
    )
    await conn.execute(
        volunteer_move.insert().values(
            volunteer_id=current.id,
            from_grid_id=from_id,
            to_grid_id=grid.id,
            moved_at=now,
            actor=actor,
        )
    )
    moved = await get_volunteer(conn, number)
    return moved, VolunteerMove(
        current.grid_code, current.grid_name, grid.code, grid.name, now, actor
    )


async def volunteer_moves(conn: AsyncConnection, number: str) -> list[VolunteerMove]:
    """Every move of a volunteer between grids, oldest first."""
    current = await get_volunteer(conn, number)
    source = org_unit.alias("move_from")
    target = org_unit.alias("move_to")
    rows = await conn.execute(
        select(
            source.c.code,
            source.c.name,
            target.c.code,
            target.c.name,
            volunteer_move.c.moved_at,
            volunteer_move.c.actor,
        )
        .join(source, source.c.id == volunteer_move.c.from_grid_id)
        .join(target, target.c.id == volunteer_move.c.to_grid_id)
        .where(volunteer_move.c.volunteer_id == current.id)
        .order_by(volunteer_move.c.id)
    )
    return [VolunteerMove(*row) for row in rows]


__all__ = [
    "KEEP",
    "MAX_LIST",
    "Keep",
    "Volunteer",
    "VolunteerMove",
    "VolunteerPage",
    "VolunteerStatus",
    "find_volunteer",
    "get_volunteer",
    "list_volunteers",
    "move_volunteer",
    "set_volunteer_status",
    "target_grid",
    "update_volunteer",
    "volunteer_moves",
]
