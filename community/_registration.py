"""Registering a volunteer: a person in one grid, with a passbook and its ledger account.

Invariants: registering opens the passbook's account, which never goes negative; it is
idempotent on the passbook number: the same data again returns what is there, different data
is a :class:`RegistrationConflict`, never a silent overwrite (a volunteer is changed by the
update and move use cases). Two registrations of one number at once end as one volunteer: the
loser's transaction is run again and finds the winner's. A new number is refused if a closed
grid is to hold it (:class:`OrgUnitClosed`) or if it differs from a registered number only by
O/0, I/1 or L/1 (:class:`PassbookNumberLookalike`: most likely a typo of that number).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import ledger
from community._cleaning import clean_name, clean_passbook_number, clean_phone
from community._org_units import OrgUnit, find_org_unit, require_open
from community._passbooks import PASSBOOK_KIND, Passbook, find_lookalike, find_passbook
from community._tables import volunteer
from community._words import kind_word, listed
from community.errors import (
    InvalidPerson,
    OrgUnitNotFound,
    PassbookNumberLookalike,
    RegistrationConflict,
)
from db import metadata
from i18n import _
from ledger.errors import IdempotencyRace
from scheme_time import local_date

_RACED = {"uq_volunteer_passbook_number", "uq_volunteer_account_id"}


_DIFFERENCE_WORDS = {
    "name": _("name"),
    "grid": _("grid"),
    "phone": _("phone"),
    "leaderboard choice": _("leaderboard choice"),
    "joining day": _("joining day"),
    "passbook": _("passbook"),
}
"""The words a refusal names a stored field by, in the reader's language."""


async def register_volunteer(
    conn: AsyncConnection,
    *,
    passbook_number: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
    leaderboard_opt_out: bool = False,
    now: datetime | None = None,
) -> Passbook:
    """Register a volunteer in a grid and open their passbook.

    Idempotent on the number: registering it again with the same name, grid, phone and
    leaderboard choice returns the passbook; with anything different it is a
    :class:`RegistrationConflict` (change a volunteer with the update and move use cases)."""
    passbook, _created = await enrol_volunteer(
        conn,
        passbook_number=passbook_number,
        name=name,
        grid_code=grid_code,
        phone=phone,
        leaderboard_opt_out=leaderboard_opt_out,
        now=now,
    )
    return passbook


async def enrol_volunteer(
    conn: AsyncConnection,
    *,
    passbook_number: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
    leaderboard_opt_out: bool = False,
    joined_on: date | None = None,
    now: datetime | None = None,
    lookalikes_checked: bool = False,
) -> tuple[Passbook, bool]:
    """:func:`register_volunteer`, also telling whether this call registered them (False:
    they already were, with the same data). ``lookalikes_checked``: the caller has already
    compared the new number with every registered one in this transaction (the roster import
    does so for the whole file at once), so the comparison is not made again."""
    now = now or datetime.now(UTC)
    passbook_number = clean_passbook_number(passbook_number)
    name = clean_name(name)
    phone = clean_phone(phone)
    grid = await find_org_unit(conn, grid_code)
    if grid is None:
        raise OrgUnitNotFound(_("No grid with code {grid_code!r}.", grid_code=grid_code))
    if grid.kind != "grid":
        raise InvalidPerson(
            _(
                "{grid_code!r} is a {kind}, not a grid: a volunteer belongs to one grid.",
                grid_code=grid_code,
                kind=kind_word(grid.kind),
            )
        )
    existing = (
        await conn.execute(
            select(
                volunteer.c.name,
                volunteer.c.grid_id,
                volunteer.c.phone,
                volunteer.c.leaderboard_opt_out,
                volunteer.c.joined_on,
            ).where(volunteer.c.passbook_number == passbook_number)
        )
    ).first()
    if existing is not None:
        differences = [
            what
            for what, stored, asked in [
                ("name", existing.name, name),
                ("grid", existing.grid_id, grid.id),
                ("phone", existing.phone, phone),
                ("leaderboard choice", existing.leaderboard_opt_out, leaderboard_opt_out),
                ("joining day", existing.joined_on, joined_on or existing.joined_on),
            ]
            if stored != asked
        ]
        if differences:
            raise RegistrationConflict(
                _(
                    "Passbook {passbook_number} is already registered with a different "
                    "{differences}. If this is the same person, change them with the update or "
                    "move requests; if it is someone else, check the number on the cover.",
                    passbook_number=passbook_number,
                    differences=listed([_DIFFERENCE_WORDS.get(d, d) for d in differences]),
                ),
                passbook_number=passbook_number,
                differs=differences,
            )
        found = await find_passbook(conn, passbook_number)
        assert found is not None
        return found, False
    await check_new_number(conn, passbook_number, grid, lookalikes=not lookalikes_checked)
    account_id = await ledger.open_account(
        conn, kind=PASSBOOK_KIND, owner_ref=f"volunteer:{passbook_number}", now=now
    )
    try:
        await conn.execute(
            volunteer.insert().values(
                passbook_number=passbook_number,
                name=name,
                grid_id=grid.id,
                account_id=account_id,
                registered_at=now,
                joined_on=joined_on or local_date(now),
                phone=phone,
                leaderboard_opt_out=leaderboard_opt_out,
            )
        )
    except IntegrityError as error:
        # A concurrent registration of this number committed between our look-up and our
        # insert (on PostgreSQL the account it opened is then found, and shared): run the
        # whole use case again, and it finds the volunteer.
        if db.constraint_name(error, metadata) in _RACED:
            raise IdempotencyRace(f"volunteer:{passbook_number}") from error
        raise
    found = await find_passbook(conn, passbook_number)
    assert found is not None
    return found, True


async def check_new_number(
    conn: AsyncConnection, number: str, grid: OrgUnit, *, lookalikes: bool = True
) -> None:
    """Refuse to register the new passbook ``number`` in ``grid`` if the grid is closed or
    (unless ``lookalikes`` is False) the number is a lookalike of a registered one."""
    require_open(grid, _("a new volunteer"))
    lookalike = await find_lookalike(conn, number) if lookalikes else None
    if lookalike is not None:
        existing, path = lookalike
        raise PassbookNumberLookalike(
            _(
                "Passbook number {number} differs from the registered {existing} only "
                "by O/0, I/1 or L/1 and is most likely a typo of it: check the number "
                "on the cover. If it is the same passbook, use {existing}.",
                number=number,
                existing=existing,
            ),
            existing_grid_path=path,
            passbook_number=number,
            existing=existing,
        )


__all__ = ["check_new_number", "enrol_volunteer", "register_volunteer"]
