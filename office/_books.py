"""Opening real books: from an empty database to a street with its first admin.

Invariants: books are opened once, on an empty database, in one transaction that creates the
street (with its issuance account), writes the books row (``real``) and makes the first admin
credential over the street; books that hold anything (an org unit, a volunteer, a token, a
ledger entry or a books row) are refused with what they hold and nothing is written. Two
openings at once: one wins, the other is refused like any opening of non-empty books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import ledger  # noqa: F401 - its tables are in db.metadata
from access import Forbidden, Principal, Role
from community.services import OPERATOR
from i18n import N_, _
from office.errors import BooksNotEmpty, BooksOpenRace
from scheme_time import utcnow

FIRST_ADMIN_LABEL = "first admin (passbook init)"
_SAID = {
    "org_units": N_("{count} org unit(s)"),
    "volunteers": N_("{count} volunteer(s)"),
    "tokens": N_("{count} token(s)"),
    "ledger_entries": N_("{count} ledger entry(ies)"),
}


@dataclass(frozen=True, slots=True)
class OpenedBooks:
    """Books just opened: the street, and the first admin's token (its text shown only now)."""

    street: community.OrgUnit
    token: str
    admin: Principal
    opened_at: datetime


async def books_contents(conn: AsyncConnection) -> dict[str, int]:
    """How many rows of each kind that makes books non-empty the database holds."""
    tables = {
        "books": community.books,
        "org_units": community.org_unit,
        "volunteers": community.volunteer,
        "tokens": access.api_token,
        "ledger_entries": db.metadata.tables["ledger_entry"],
    }
    counts = {}
    for name, table in tables.items():
        counts[name] = int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def open_books(
    conn: AsyncConnection,
    principal: Principal,
    *,
    street_code: str,
    street_name: str,
    now: datetime | None = None,
) -> OpenedBooks:
    """Open real books for the street ``street_code`` named ``street_name``: the street (the
    root org unit, with its issuance account), the books row (kind ``real``, opened by the
    principal) and the first admin credential over the street, all at once.

    Who: the operator at the command line (:data:`community.services.OPERATOR`) only. Refuses
    books that already hold data (:class:`office.BooksNotEmpty`, with the counts found), a
    code or name that is not well formed (:class:`community.RegistryError`)."""
    if principal != OPERATOR:
        raise Forbidden(
            _("Books are opened at the command line ('passbook init'), by the operator.")
        )
    now = now or utcnow()
    held = {what: n for what, n in (await books_contents(conn)).items() if n}
    if held:
        found = community.listed(
            [_(_SAID[what], count=n) for what, n in held.items() if what != "books"]
        )
        raise BooksNotEmpty(
            _(
                "These books were opened already and hold data ({found}); 'passbook init' "
                "opens empty books only and wrote nothing. Use a new database (another "
                "--database-url) for new books, or keep working with these.",
                found=found or _("nothing else"),
            )
            if "books" in held
            else _(
                "These books already hold data ({found}); 'passbook init' opens empty "
                "books only and wrote nothing. Use a new database (another "
                "--database-url) for new books, or keep working with these.",
                found=found or _("nothing else"),
            ),
            **held,
        )
    name = clean_unit_name(street_name)
    try:
        street = await community.add_org_unit(conn, code=street_code, name=name, kind="street")
        await community.record_books(
            conn, kind="real", street_id=street.id, opened_by=principal.actor, now=now
        )
    except IntegrityError as error:
        # A concurrent opening (another street code) wrote the books row first; one of the
        # same code loses on the code instead (community.OrgUnitCodeRace): both run again.
        if db.constraint_name(error, db.metadata) == "pk_books":
            raise BooksOpenRace(street_code) from error
        raise
    raw, admin = await access.create_token(
        conn,
        role=Role.ADMIN,
        scope=street.code,
        label=FIRST_ADMIN_LABEL,
        created_by=principal.actor,
        now=now,
    )
    return OpenedBooks(street, raw, admin, now)


def clean_unit_name(name: str) -> str:
    """An org unit's name, trimmed: 1 to 100 characters on one line."""
    try:
        return community.clean_name(name, who=_("An org unit"))
    except community.InvalidPerson as error:
        raise community.RegistryError(error.message) from error


__all__ = [
    "FIRST_ADMIN_LABEL",
    "OpenedBooks",
    "books_contents",
    "clean_unit_name",
    "open_books",
]
