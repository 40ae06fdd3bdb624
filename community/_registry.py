"""Adding org units, volunteers and council members, and finding whose a ledger account is.

Invariants: a grid's parent is a community and a community's parent a street; every grid and
community has an issuance account (it may go negative: it shows the points put into
circulation); registering a volunteer opens their passbook account, which never goes negative.
Registering is idempotent on the code / passbook number: the same data again returns what is
there, different data is a conflict, never a silent overwrite. Names are trimmed and phones are
mainland mobile numbers (stored as 11 digits), so masking and look-ups can rely on their shape.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import ledger
from community._tables import council_member, org_unit, volunteer
from db import Category, DomainError, Retryable, metadata
from ledger.errors import IdempotencyRace

PASSBOOK_KIND = "passbook"
ISSUANCE_KIND = "issuance"
_PARENT_KIND = {"community": "street", "grid": "community"}
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def is_code(text: str) -> bool:
    """Whether ``text`` is a code as every org unit, member, rule, reward, merchant and ballot
    has one: 1-40 lower-case letters, digits or dashes, not starting with a dash."""
    return _CODE.match(text) is not None


_PASSBOOK_NUMBER = re.compile(r"[A-Z0-9-]{3,32}")
# A mainland mobile number: 11 digits, 1 then 3-9. Spaces and dashes people type between the
# groups ("138 1234 5678") are dropped; anything else is refused.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[ \-]")
MAX_NAME = 100
# Zero-width non-joiner and joiner: the joiner glues a family emoji (👩‍👩‍👧) together. Every
# other control or format character (a zero-width space, a bidi override) is refused.
_JOINERS = "\u200c\u200d"


class RegistryError(DomainError):
    """Base of the registry's errors (the tree is drawn in :mod:`community`)."""

    code = "registry_error"


class CouncilMemberCodeRace(Retryable):
    """A concurrent request added a council member with the same code first; the transaction
    runner runs the use case again, which then finds that member."""


class OrgUnitNotFound(RegistryError):
    code = "org_unit_not_found"
    category = Category.NOT_FOUND


class PassbookNotFound(RegistryError):
    code = "passbook_not_found"
    category = Category.NOT_FOUND


class CouncilMemberNotFound(RegistryError):
    code = "council_member_not_found"
    category = Category.NOT_FOUND


class InvalidPerson(RegistryError):
    """A name, phone or PIN that cannot be accepted as given."""

    code = "invalid_person_data"


class RegistrationConflict(RegistryError):
    """The number or code is taken by a record that says something else."""

    code = "registration_conflict"
    category = Category.CONFLICT


class CouncilMemberSteppedDown(RegistryError):
    code = "council_member_stepped_down"
    category = Category.CONFLICT


def clean_name(name: str, *, who: str = "A volunteer") -> str:
    """A person's name, trimmed; 1 to 100 characters, no control or format characters but the
    joiners that hold an emoji or a script's letters together."""
    cleaned = name.strip()
    if not cleaned.strip(_JOINERS) or len(cleaned) > MAX_NAME:
        raise InvalidPerson(
            f"{who} needs a name of 1 to {MAX_NAME} characters (got {len(cleaned)} after "
            "trimming spaces)."
        )
    if any(unicodedata.category(ch).startswith("C") and ch not in _JOINERS for ch in cleaned):
        raise InvalidPerson(
            f"{who}'s name contains a line break or another control character; type the name "
            "on one line."
        )
    return cleaned


def clean_phone(phone: str | None) -> str | None:
    """A mainland mobile number as 11 digits, or None for no phone."""
    if phone is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", phone.strip())
    if not _MOBILE.fullmatch(digits):
        raise InvalidPerson(
            "The phone must be a mainland mobile number: 11 digits starting with 13 to 19, for "
            "example 13812345678 (no +86, no landline). Leave it out if there is none."
        )
    return digits


def mask_phone(phone: str | None) -> str | None:
    """The phone as shown to everyone but its owner and admins: 138****5678."""
    if phone is None:
        return None
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


@dataclass(frozen=True, slots=True)
class OrgUnit:
    id: int
    code: str
    name: str
    kind: str
    path: str
    issuance_account_id: ledger.AccountId | None


@dataclass(frozen=True, slots=True)
class Passbook:
    """A volunteer's passbook: the printed number, whose it is, where, and its account."""

    volunteer_id: int
    number: str
    holder_name: str
    grid_code: str
    grid_name: str
    grid_path: str
    account_id: ledger.AccountId


async def add_org_unit(
    conn: AsyncConnection, *, code: str, name: str, kind: str, parent_code: str | None = None
) -> OrgUnit:
    """Add a street, community or grid (or return the existing one with that code)."""
    if not _CODE.match(code):
        raise RegistryError(
            f"Org unit code {code!r} must be 1-40 lower-case letters, digits or dashes."
        )
    if existing := await find_org_unit(conn, code):
        if existing.kind != kind:
            raise RegistryError(f"Org unit {code!r} already exists as a {existing.kind}.")
        return existing
    if kind == "street":
        if parent_code is not None:
            raise RegistryError("A street is the top of the tree and has no parent.")
        path, parent_id = code, None
    elif kind in _PARENT_KIND:
        parent = await find_org_unit(conn, parent_code or "")
        if parent is None or parent.kind != _PARENT_KIND[kind]:
            raise RegistryError(
                f"A {kind} belongs to a {_PARENT_KIND[kind]}; {parent_code!r} is not one."
            )
        path, parent_id = f"{parent.path}/{code}", parent.id
    else:
        raise RegistryError(f"Unknown org unit kind {kind!r}: use street, community or grid.")
    issuance = None
    if kind != "street":
        issuance = await ledger.open_account(
            conn, kind=ISSUANCE_KIND, owner_ref=f"org:{code}", allow_negative=True
        )
    await conn.execute(
        org_unit.insert().values(
            code=code,
            name=name,
            kind=kind,
            parent_id=parent_id,
            path=path,
            issuance_account_id=issuance,
            created_at=datetime.now(UTC),
        )
    )
    found = await find_org_unit(conn, code)
    assert found is not None
    return found


async def find_org_unit(conn: AsyncConnection, code: str) -> OrgUnit | None:
    row = (await conn.execute(select(org_unit).where(org_unit.c.code == code))).first()
    if row is None:
        return None
    return OrgUnit(row.id, row.code, row.name, row.kind, row.path, row.issuance_account_id)


def clean_passbook_number(number: str) -> str:
    """The number as printed on the cover; lower-case letters typed in are read as capitals."""
    cleaned = number.strip().upper()
    if not _PASSBOOK_NUMBER.fullmatch(cleaned):
        raise InvalidPerson(
            f"Passbook number {number!r} must be 3-32 capital letters, digits or dashes, as "
            "printed on the passbook's cover (for example YZS1-0001)."
        )
    return cleaned


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
    now: datetime | None = None,
) -> tuple[Passbook, bool]:
    """:func:`register_volunteer`, also telling whether this call registered them (False:
    they already were, with the same data)."""
    passbook_number = clean_passbook_number(passbook_number)
    name = clean_name(name)
    phone = clean_phone(phone)
    grid = await find_org_unit(conn, grid_code)
    if grid is None:
        raise OrgUnitNotFound(f"No grid with code {grid_code!r}.")
    if grid.kind != "grid":
        raise InvalidPerson(
            f"{grid_code!r} is a {grid.kind}, not a grid: a volunteer belongs to one grid."
        )
    existing = (
        await conn.execute(
            select(
                volunteer.c.name,
                volunteer.c.grid_id,
                volunteer.c.phone,
                volunteer.c.leaderboard_opt_out,
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
            ]
            if stored != asked
        ]
        if differences:
            raise RegistrationConflict(
                f"Passbook {passbook_number} is already registered with a different "
                f"{', '.join(differences)}. If this is the same person, change them with the "
                "update or move requests; if it is someone else, check the number on the cover.",
                passbook_number=passbook_number,
                differs=differences,
            )
        found = await find_passbook(conn, passbook_number)
        assert found is not None
        return found, False
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
                registered_at=now or datetime.now(UTC),
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


_RACED = {"uq_volunteer_passbook_number", "uq_volunteer_account_id"}


def _passbook_query() -> Select[Any]:
    return select(
        volunteer.c.id,
        volunteer.c.passbook_number,
        volunteer.c.name,
        org_unit.c.code,
        org_unit.c.name.label("grid_name"),
        org_unit.c.path,
        volunteer.c.account_id,
    ).join(org_unit, org_unit.c.id == volunteer.c.grid_id)


async def find_passbook(conn: AsyncConnection, number: str) -> Passbook | None:
    row = (
        await conn.execute(_passbook_query().where(volunteer.c.passbook_number == number))
    ).first()
    if row is None:
        return None
    return Passbook(row[0], row[1], row[2], row[3], row[4], row[5], ledger.AccountId(row[6]))


async def org_paths_of_accounts(
    conn: AsyncConnection, account_ids: list[ledger.AccountId]
) -> dict[ledger.AccountId, str]:
    """The org path each account belongs to: a passbook's grid, an issuance account's unit.
    Accounts that belong to no org unit (a merchant's) are left out."""
    paths: dict[ledger.AccountId, str] = {}
    rows = await conn.execute(
        select(volunteer.c.account_id, org_unit.c.path)
        .join(org_unit, org_unit.c.id == volunteer.c.grid_id)
        .where(volunteer.c.account_id.in_(account_ids))
    )
    paths.update({ledger.AccountId(a): p for a, p in rows})
    rows = await conn.execute(
        select(org_unit.c.issuance_account_id, org_unit.c.path).where(
            org_unit.c.issuance_account_id.in_(account_ids)
        )
    )
    paths.update({ledger.AccountId(a): p for a, p in rows})
    return paths


def within(path: str, scope: str) -> bool:
    """Whether org unit ``path`` lies in the subtree rooted at ``scope``."""
    return path == scope or path.startswith(scope + "/")


@dataclass(frozen=True, slots=True)
class CouncilMember:
    """A person with the council role in one grid."""

    id: int
    code: str
    name: str
    grid_code: str
    grid_path: str
    active: bool
    volunteer_id: int | None
    phone: str | None = None
    grid_name: str = ""
    passbook_number: str | None = None


async def add_council_member(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
    passbook_number: str | None = None,
    now: datetime | None = None,
) -> CouncilMember:
    """Add a council member to a grid. Give their passbook number if they volunteer too, so
    they can never score their own service.

    Idempotent on the code: the same data again returns the member; different data, or a
    member who stepped down, is a :class:`RegistrationConflict` (codes are never reused)."""
    member, _created = await appoint_council_member(
        conn,
        code=code,
        name=name,
        grid_code=grid_code,
        phone=phone,
        passbook_number=passbook_number,
        now=now,
    )
    return member


async def appoint_council_member(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    grid_code: str,
    phone: str | None = None,
    passbook_number: str | None = None,
    now: datetime | None = None,
) -> tuple[CouncilMember, bool]:
    """:func:`add_council_member`, also telling whether this call added them."""
    if not _CODE.match(code):
        raise InvalidPerson(
            f"Council member code {code!r} must be 1-40 lower-case letters, digits or dashes."
        )
    name = clean_name(name, who="A council member")
    phone = clean_phone(phone)
    grid = await find_org_unit(conn, grid_code)
    if grid is None:
        raise OrgUnitNotFound(f"No grid with code {grid_code!r}; a council sits on one grid.")
    if grid.kind != "grid":
        raise InvalidPerson(
            f"{grid_code!r} is a {grid.kind}, not a grid: a council member sits on one grid."
        )
    passbook = None
    if passbook_number is not None:
        passbook = await find_passbook(conn, clean_passbook_number(passbook_number))
        if passbook is None:
            raise PassbookNotFound(f"No passbook numbered {passbook_number!r}.")
    if existing := await find_council_member(conn, code):
        differences = [
            what
            for what, stored, asked in [
                ("grid", existing.grid_code, grid.code),
                ("name", existing.name, name),
                ("phone", existing.phone, phone),
                (
                    "passbook",
                    existing.passbook_number,
                    None if passbook is None else passbook.number,
                ),
            ]
            if stored != asked
        ]
        if differences:
            raise RegistrationConflict(
                f"Council member {code!r} already exists with a different "
                f"{', '.join(differences)}; choose another code for another person.",
                member=code,
                differs=differences,
            )
        if not existing.active:
            raise RegistrationConflict(
                f"Council member {code!r} stepped down; codes are not reused, so add them "
                "again under a new code.",
                member=code,
            )
        return existing, False
    if passbook is not None:
        holder = await conn.scalar(
            select(council_member.c.code).where(
                council_member.c.volunteer_id == passbook.volunteer_id
            )
        )
        if holder is not None:
            raise RegistrationConflict(
                f"Passbook {passbook.number} already belongs to council member {holder!r}.",
                member=holder,
            )
    try:
        await conn.execute(
            council_member.insert().values(
                code=code,
                name=name,
                grid_id=grid.id,
                phone=phone,
                volunteer_id=None if passbook is None else passbook.volunteer_id,
                created_at=now or datetime.now(UTC),
            )
        )
    except IntegrityError as error:
        # Two admins adding the same code at once: the loser runs again and finds the member.
        if db.constraint_name(error, metadata) == "uq_council_member_code":
            raise CouncilMemberCodeRace(code) from error
        raise
    found = await find_council_member(conn, code)
    assert found is not None
    return found, True


def _council_member_query() -> Select[Any]:
    return (
        select(
            council_member.c.id,
            council_member.c.code,
            council_member.c.name,
            org_unit.c.code,
            org_unit.c.path,
            council_member.c.active,
            council_member.c.volunteer_id,
            council_member.c.phone,
            org_unit.c.name,
            volunteer.c.passbook_number,
        )
        .join(org_unit, org_unit.c.id == council_member.c.grid_id)
        .outerjoin(volunteer, volunteer.c.id == council_member.c.volunteer_id)
    )


async def find_council_member(conn: AsyncConnection, code: str) -> CouncilMember | None:
    row = (await conn.execute(_council_member_query().where(council_member.c.code == code))).first()
    return None if row is None else CouncilMember(*row)


async def get_council_member(conn: AsyncConnection, member_id: int) -> CouncilMember | None:
    row = (
        await conn.execute(_council_member_query().where(council_member.c.id == member_id))
    ).first()
    return None if row is None else CouncilMember(*row)


async def list_council_members(
    conn: AsyncConnection, *, under_path: str, include_stepped_down: bool = False
) -> list[CouncilMember]:
    """The council members of every grid under the org unit at ``under_path``, by grid."""
    query = _council_member_query().where(_under(under_path))
    if not include_stepped_down:
        query = query.where(council_member.c.active.is_(True))
    rows = await conn.execute(query.order_by(org_unit.c.path, council_member.c.code))
    return [CouncilMember(*row) for row in rows]


async def step_down_council_member(conn: AsyncConnection, code: str) -> CouncilMember:
    """Mark a council member as stepped down: their tokens stop working from the next request.
    Stepping down twice changes nothing."""
    member = await find_council_member(conn, code)
    if member is None:
        raise CouncilMemberNotFound(f"No council member with code {code!r}.")
    if member.active:
        await conn.execute(
            update(council_member).where(council_member.c.id == member.id).values(active=False)
        )
        member = await get_council_member(conn, member.id)
        assert member is not None
    return member


def _under(path: str) -> Any:
    """Org units in the subtree rooted at ``path`` (codes hold no LIKE wildcards)."""
    return (org_unit.c.path == path) | org_unit.c.path.startswith(path + "/", autoescape=True)
