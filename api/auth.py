"""Bearer tokens and who may see what.

Invariants protected here:

* a token is shown once, when made, and stored only as its SHA-256 hash;
* every request but health and the API docs carries a valid, unexpired, unrevoked token
  (401 otherwise), and acts only inside its role's scope (403 otherwise);
* scopes: admin and auditor hold an org unit (its subtree); a council token speaks for one
  council member and holds their grid; a volunteer holds one passbook; a merchant holds one
  merchant;
* a council token stops working when its member steps down, a volunteer token when its
  volunteer is marked as moved away.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import ledger
from api._tokens_table import api_token

TOKEN_PREFIX = "pb_"  # noqa: S105 - a prefix, not a secret


class Role(enum.StrEnum):
    ADMIN = "admin"
    COUNCIL = "council"
    VOLUNTEER = "volunteer"
    MERCHANT = "merchant"
    AUDITOR = "auditor"


ORG_ROLES = frozenset({Role.ADMIN, Role.COUNCIL, Role.AUDITOR})


class TokenError(Exception):
    code = "invalid_token_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a role and the scope it holds (an org path, a passbook number or a
    merchant code)."""

    token_id: int
    role: Role
    scope: str
    label: str
    # The council member a council token speaks for: four eyes compare people, not tokens.
    member_id: int | None = None

    @property
    def actor(self) -> str:
        """How the books record this caller."""
        return f"{self.role}:{self.label}#{self.token_id}"

    def key_namespace(self) -> str:
        """Where this caller's idempotency keys live: two council members of one grid are two
        people, so their keys never collide."""
        if self.member_id is not None:
            return f"{self.role}:{self.scope}:member-{self.member_id}"
        return f"{self.role}:{self.scope}"


SIGNED_IN = " (signed in with PIN)"
"""The end of the label of every token a volunteer got by signing in with their PIN."""


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


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_token(
    conn: AsyncConnection,
    *,
    role: Role,
    scope: str,
    label: str,
    valid_for: timedelta | None = None,
    raw: str | None = None,
    now: datetime | None = None,
) -> tuple[str, Principal]:
    """Make a token; returns the raw token (shown once) and who it speaks for.

    ``scope`` is an org unit *code* for admin, council and auditor, a passbook number for a
    volunteer and a merchant code for a merchant. ``raw`` fixes the token's text (demo data
    only)."""
    now = now or datetime.now(UTC)
    if not label.strip() or len(label) > 200:
        raise TokenError("A token needs a label of 1 to 200 characters saying whose it is.")
    stored_scope, member_id = await _resolve_scope(conn, role, scope)
    raw = raw or TOKEN_PREFIX + secrets.token_urlsafe(32)
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
        )
        .returning(api_token.c.id)
    )
    assert token_id is not None
    return raw, Principal(token_id, role, stored_scope, label.strip(), member_id)


async def _resolve_scope(conn: AsyncConnection, role: Role, scope: str) -> tuple[str, int | None]:
    """The scope as stored (an org path for org roles) and, for council, the member's id."""
    if role is Role.COUNCIL:
        member = await community.find_council_member(conn, scope)
        if member is None:
            raise TokenError(
                f"No council member with code {scope!r}; a council token speaks for one "
                "council member (add them first) and acts in their grid."
            )
        if not member.active:
            raise TokenError(f"Council member {scope!r} has stepped down.")
        return member.grid_path, member.id
    if role in ORG_ROLES:
        unit = await community.find_org_unit(conn, scope)
        if unit is None:
            raise TokenError(f"No org unit with code {scope!r}; a {role} token is scoped to one.")
        return unit.path, None
    if role is Role.VOLUNTEER:
        if await community.find_passbook(conn, scope) is None:
            raise TokenError(f"No passbook numbered {scope!r}.")
        return scope, None
    if not community.is_code(scope):
        raise TokenError(f"Merchant code {scope!r} must be lower-case letters, digits or dashes.")
    return scope, None


async def find_principal(
    conn: AsyncConnection, raw: str, *, now: datetime | None = None
) -> Principal | None:
    now = now or datetime.now(UTC)
    row = (
        await conn.execute(
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
            .where(api_token.c.token_hash == hash_token(raw))
        )
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.council_member_id is not None and not row.member_active:
        return None  # a council member who stepped down no longer acts
    if row.role == Role.VOLUNTEER.value and row.volunteer_status != "active":
        return None  # a volunteer who moved away no longer signs in, by PIN or by token
    return Principal(row.id, Role(row.role), row.scope, row.label, row.council_member_id)


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a :class:`Principal` or answers 401."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        header = connection.headers.get("authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthorizedException(
                "Sign in first: send 'Authorization: Bearer <token>' with every request."
            )
        engine: AsyncEngine = connection.app.state.engine
        async with engine.connect() as conn:
            conn = await conn.execution_options(passbook_write=False)
            principal = await find_principal(conn, raw.strip())
            await conn.rollback()
        if principal is None:
            raise NotAuthorizedException(
                "This token is not valid: it is unknown, expired or revoked. Ask for a new one."
            )
        return AuthenticationResult(user=principal, auth=raw)


def roles(*allowed: Role):  # type: ignore[no-untyped-def]
    """A guard letting only ``allowed`` roles through."""
    names = ", ".join(r.value for r in allowed)

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
        principal: Principal = connection.user
        if principal.role not in allowed:
            raise PermissionDeniedException(
                f"A {principal.role} token cannot do this; it needs one of: {names}."
            )

    return guard


def whole_books(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """A guard for reports over the whole book: only a token scoped to a street may see them."""
    principal: Principal = connection.user
    if "/" in principal.scope:
        raise PermissionDeniedException(
            "The trial balance and verification cover the whole book; they need an admin or "
            "auditor token scoped to the street, not to one community or grid."
        )


async def can_see_accounts(
    conn: AsyncConnection, principal: Principal, account_ids: list[ledger.AccountId]
) -> dict[ledger.AccountId, bool]:
    """For each account, whether ``principal`` may see its balance and postings."""
    if principal.role is Role.VOLUNTEER:
        own = await community.find_passbook(conn, principal.scope)
        return {a: own is not None and a == own.account_id for a in account_ids}
    if principal.role in ORG_ROLES:
        paths = await community.org_paths_of_accounts(conn, account_ids)
        return {a: a in paths and community.within(paths[a], principal.scope) for a in account_ids}
    return dict.fromkeys(account_ids, False)


def may_read_passbook(principal: Principal, passbook: community.Passbook) -> bool:
    if principal.role is Role.VOLUNTEER:
        return principal.scope == passbook.number
    if principal.role in ORG_ROLES:
        return community.within(passbook.grid_path, principal.scope)
    return False


def admin_over(principal: Principal, path: str) -> bool:
    """Whether ``principal`` is an admin whose org unit holds the unit at ``path``: a grid's
    own staff (grid worker) or community or street staff above it."""
    return principal.role is Role.ADMIN and community.within(path, principal.scope)


def may_act_for(principal: Principal, passbook: community.Passbook) -> bool:
    """Whether ``principal`` may act as the holder of ``passbook``: the volunteer themself, or
    an admin (a grid worker or community staff) whose org unit holds the passbook's grid. The
    books record ``principal.actor``, so an act on someone's behalf says who did it."""
    if principal.role is Role.VOLUNTEER:
        return principal.scope == passbook.number
    if principal.role is Role.ADMIN:
        return community.within(passbook.grid_path, principal.scope)
    return False


def expires_in(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days else None
