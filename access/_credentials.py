"""Bearer credentials: made, found and revoked.

Invariants protected here:

* a token is shown once, when made, and stored only as its SHA-256 hash;
* a principal is found only for a token that is known, unexpired and unrevoked, and never
  for one of the demo's well-known tokens in real books;
* a council token stops working when its member steps down, a volunteer token when its
  volunteer is marked as moved away;
* a credential's scope names something that exists and can still act: an open org unit, a
  serving council member of an open grid, an active volunteer's passbook (a merchant code must
  at least be well formed here; that it names a merchant is checked by ``office``, which may
  read the rewards' tables);
* a token records who made it (``created_by``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from access._principal import ORG_ROLES, Principal, Role, role_word
from access._tables import api_token
from access.errors import ClosedScope, CredentialError, UnknownScope
from i18n import _

TOKEN_PREFIX = "pb_"  # noqa: S105 - a prefix, not a secret
DEMO_TOKEN_PREFIX = "pb_demo_"  # noqa: S105 - the demo's well-known tokens begin so
SIGNED_IN = " (signed in with PIN)"
"""The end of the label of every token a volunteer got by signing in with their PIN."""


def _new_raw_token() -> str:
    """A fresh random token; never one that reads like the demo's (real books refuse those)."""
    while (raw := TOKEN_PREFIX + secrets.token_urlsafe(32)).startswith(DEMO_TOKEN_PREFIX):
        pass
    return raw


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def expires_in(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days else None


async def create_token(
    conn: AsyncConnection,
    *,
    role: Role,
    scope: str,
    label: str,
    valid_for: timedelta | None = None,
    raw: str | None = None,
    created_by: str | None = None,
    now: datetime | None = None,
) -> tuple[str, Principal]:
    """Make a token; returns the raw token (shown once) and who it speaks for.

    ``scope`` is an org unit *code* for admin and auditor, a council member's code for
    council, a passbook number for a volunteer and a merchant code for a merchant.
    ``created_by`` is the actor who made it (the issuing principal's ``actor``). ``raw`` fixes
    the token's text (demo data only). A scope naming nothing is :class:`UnknownScope`; a
    closed unit, a member who stepped down or a volunteer who moved away :class:`ClosedScope`."""
    now = now or datetime.now(UTC)
    if not label.strip() or len(label) > 200:
        raise CredentialError(_("A token needs a label of 1 to 200 characters saying whose it is."))
    stored_scope, member_id = await _resolve_scope(conn, role, scope)
    raw = raw or _new_raw_token()
    token_id = await conn.scalar(
        api_token.insert()
        .values(
            token_hash=hash_token(raw),
            role=role.value,
            scope=stored_scope,
            label=label.strip(),
            created_at=now,
            expires_at=now + valid_for if valid_for else None,
            council_member_id=member_id,
            created_by=created_by,
        )
        .returning(api_token.c.id)
    )
    assert token_id is not None
    return raw, Principal(token_id, role, stored_scope, label.strip(), member_id)


async def check_scope(conn: AsyncConnection, role: Role, scope: str) -> None:
    """Refuse a scope a ``role`` credential could not be made for now, as
    :func:`create_token` would (:class:`UnknownScope`, :class:`ClosedScope`)."""
    await _resolve_scope(conn, role, scope)


async def _resolve_scope(conn: AsyncConnection, role: Role, scope: str) -> tuple[str, int | None]:
    """The scope as stored (an org path for org roles) and, for council, the member's id."""
    if role is Role.COUNCIL:
        member = await community.find_council_member(conn, scope)
        if member is None:
            raise UnknownScope(
                _(
                    "No council member with code {scope!r}; a council token speaks for one "
                    "council member (add them first) and acts in their grid.",
                    scope=scope,
                )
            )
        if not member.active:
            raise ClosedScope(
                _(
                    "Council member {scope!r} has stepped down; add the person again under "
                    "a new code if they return to the council.",
                    scope=scope,
                )
            )
        await _require_open(conn, member.grid_code)
        return member.grid_path, member.id
    if role in ORG_ROLES:
        unit = await community.find_org_unit(conn, scope)
        if unit is None:
            raise UnknownScope(
                _(
                    "No org unit with code {scope!r}; a {role} token is scoped to one.",
                    scope=scope,
                    role=role_word(role),
                )
            )
        await _require_open(conn, unit.code)
        return unit.path, None
    if role is Role.VOLUNTEER:
        found = await community.find_volunteer(conn, scope)
        if found is None:
            raise UnknownScope(_("No passbook numbered {scope!r}.", scope=scope))
        if found.status is not community.VolunteerStatus.ACTIVE:
            raise ClosedScope(
                _(
                    "The volunteer of passbook {scope!r} has moved away; mark them active first.",
                    scope=scope,
                )
            )
        return scope, None
    if not community.is_code(scope):
        raise UnknownScope(
            _("Merchant code {scope!r} must be lower-case letters, digits or dashes.", scope=scope)
        )
    return scope, None


async def _require_open(conn: AsyncConnection, code: str) -> None:
    """Refuse a credential in a closed org unit: it takes no new ones (its history stays)."""
    closed_at = await conn.scalar(
        select(community.org_unit.c.closed_at).where(community.org_unit.c.code == code)
    )
    if closed_at is not None:
        raise ClosedScope(
            _(
                "Org unit {code!r} is closed and takes no new credentials; issue one "
                "for an open unit.",
                code=code,
            )
        )


_PRINCIPAL_QUERY = (
    select(
        api_token,
        community.council_member.c.active.label("member_active"),
        community.volunteer.c.status.label("volunteer_status"),
    )
    .outerjoin(
        community.council_member,
        community.council_member.c.id == api_token.c.council_member_id,
    )
    .outerjoin(
        community.volunteer,
        and_(
            api_token.c.role == Role.VOLUNTEER.value,
            community.volunteer.c.passbook_number == api_token.c.scope,
        ),
    )
    .where(api_token.c.token_hash == bindparam("token_hash"))
)
"""The token, its holder's standing and its scope's, in one statement, built once: every
request runs it (its compiled form stays in SQLAlchemy's cache, its key memoized here)."""


async def find_principal(
    conn: AsyncConnection, raw: str, *, now: datetime | None = None
) -> Principal | None:
    """Who the raw token ``raw`` speaks for, or None if it must not be let in. Real books
    (``passbook init``) never let in a demo token, even if its row were there."""
    now = now or datetime.now(UTC)
    if raw.startswith(DEMO_TOKEN_PREFIX) and await community.books_kind(conn) == "real":
        return None
    row = (await conn.execute(_PRINCIPAL_QUERY, {"token_hash": hash_token(raw)})).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.council_member_id is not None and not row.member_active:
        return None  # a council member who stepped down no longer acts
    if row.role == Role.VOLUNTEER.value and row.volunteer_status != "active":
        return None  # a volunteer who moved away no longer signs in, by PIN or by token
    return Principal(
        row.id,
        Role(row.role),
        row.scope,
        row.label,
        row.council_member_id,
        last_used_at=row.last_used_at,
    )


async def revoke_sign_ins(conn: AsyncConnection, passbook_number: str, now: datetime) -> int:
    """Revoke every token a volunteer got by signing in with a PIN: resetting the PIN signs
    them out everywhere (whoever knew the old PIN is out too). Returns how many."""
    result = await conn.execute(
        api_token.update()
        .where(
            api_token.c.role == Role.VOLUNTEER.value,
            api_token.c.scope == passbook_number,
            api_token.c.label.endswith(SIGNED_IN, autoescape=True),
            api_token.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount
