"""The register of credentials: listing them, revoking them and noting their use.

Invariants protected here:

* a listed credential never shows its hash: only what it is (role, scope, label), who made it
  and when, when it last let someone in, and when it expires or was revoked and by whom;
* a revocation is recorded once (``revoked_at``, ``revoked_by``) and never undone: revoking a
  revoked token changes nothing and answers its state, even when two revocations race;
* moving a volunteer away revokes every token of their passbook, so making them active again
  later brings none of the old tokens back;
* noting a token's use writes at most once every :data:`USE_NOTED_EVERY` per token (the
  update is conditional, so racing requests write it once), so reads do not write on every
  request.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

import community
from access._principal import ORG_ROLES, Role
from access._tables import api_token
from access.errors import TokenNotFound
from i18n import _

USE_NOTED_EVERY = timedelta(minutes=5)
"""How stale a token's ``last_used_at`` may get before a request notes its use again."""

_ORG_ROLE_VALUES = sorted(r.value for r in ORG_ROLES)
_member = community.council_member
_volunteer = community.volunteer
_grid = community.org_unit.alias("passbook_grid")


class TokenState(enum.StrEnum):
    """Whether a credential lets anyone in: ``active``, or why not."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    # It is valid, but the council member stepped down or the volunteer moved away.
    HOLDER_GONE = "holder_gone"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A credential as the register shows it (never its hash). ``scope`` is as stored: an org
    path for admin, auditor and council, a passbook number, a merchant code. ``member`` is
    the council member a council token speaks for; ``passbook_grid_path`` the grid of a
    volunteer token's passbook."""

    id: int
    role: Role
    scope: str
    label: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    member: str | None
    passbook_grid_path: str | None
    holder_active: bool

    def state(self, now: datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenState.EXPIRED
        if not self.holder_active:
            return TokenState.HOLDER_GONE
        return TokenState.ACTIVE

    @property
    def unit_path(self) -> str | None:
        """The org unit the credential lies in: its own for org roles, its passbook's grid
        for a volunteer; None for a merchant (judged by the org unit the merchant serves, which
        the rewards' register holds)."""
        if self.role in ORG_ROLES:
            return self.scope
        return self.passbook_grid_path


def _select() -> Select[tuple[object, ...]]:
    holder_active = or_(
        and_(api_token.c.council_member_id.is_(None), api_token.c.role != Role.VOLUNTEER.value),
        _member.c.active.is_(True),
        _volunteer.c.status == community.VolunteerStatus.ACTIVE.value,
    )
    return (
        select(
            api_token.c.id,
            api_token.c.role,
            api_token.c.scope,
            api_token.c.label,
            api_token.c.created_at,
            api_token.c.created_by,
            api_token.c.last_used_at,
            api_token.c.expires_at,
            api_token.c.revoked_at,
            api_token.c.revoked_by,
            _member.c.code.label("member"),
            _grid.c.path.label("passbook_grid_path"),
            holder_active.label("holder_active"),
        )
        .select_from(api_token)
        .outerjoin(_member, _member.c.id == api_token.c.council_member_id)
        .outerjoin(
            _volunteer,
            and_(
                api_token.c.role == Role.VOLUNTEER.value,
                _volunteer.c.passbook_number == api_token.c.scope,
            ),
        )
        .outerjoin(_grid, _grid.c.id == _volunteer.c.grid_id)
    )


def _record(row: object) -> TokenRecord:
    r = row._mapping  # type: ignore[attr-defined]
    return TokenRecord(
        id=r["id"],
        role=Role(r["role"]),
        scope=r["scope"],
        label=r["label"],
        created_at=r["created_at"],
        created_by=r["created_by"],
        last_used_at=r["last_used_at"],
        expires_at=r["expires_at"],
        revoked_at=r["revoked_at"],
        revoked_by=r["revoked_by"],
        member=r["member"],
        passbook_grid_path=r["passbook_grid_path"],
        holder_active=bool(r["holder_active"]),
    )


def _within(column: ColumnElement[str], path: str) -> ColumnElement[bool]:
    # Codes hold no LIKE wildcards, and autoescape guards the rest.
    return or_(column == path, column.startswith(path + "/", autoescape=True))


def _merchants_kept(merchants: bool | Collection[str]) -> ColumnElement[bool]:
    if isinstance(merchants, bool):
        return true() if merchants else false()
    return api_token.c.scope.in_(list(merchants)) if merchants else false()


async def list_tokens(
    conn: AsyncConnection,
    *,
    under_path: str | None,
    merchants: bool | Collection[str],
    role: Role | None = None,
    scope: str | None = None,
    include_inactive: bool = False,
    before: int | None = None,
    limit: int = 50,
    now: datetime,
) -> list[TokenRecord]:
    """Up to ``limit`` credentials, newest first, with an id below ``before``.

    ``under_path`` keeps those lying in that org subtree (org roles by their path, volunteer
    tokens by their passbook's grid; None keeps all), ``merchants`` whether merchant tokens
    are kept too, or the codes of the merchants whose tokens are kept. ``scope`` keeps those made for it: an org unit code (the unit an org token
    acts in), a council member's code, a passbook number or a merchant code. Only active ones
    unless ``include_inactive``."""
    query = _select()
    if under_path is not None:
        query = query.where(
            or_(
                and_(
                    api_token.c.role.in_(_ORG_ROLE_VALUES), _within(api_token.c.scope, under_path)
                ),
                and_(api_token.c.role == Role.VOLUNTEER.value, _within(_grid.c.path, under_path)),
                and_(api_token.c.role == Role.MERCHANT.value, _merchants_kept(merchants)),
            )
        )
    if role is not None:
        query = query.where(api_token.c.role == role.value)
    if scope is not None:
        query = query.where(
            or_(
                api_token.c.scope == scope,
                and_(
                    api_token.c.role.in_(_ORG_ROLE_VALUES),
                    api_token.c.scope.endswith("/" + scope, autoescape=True),
                ),
                _member.c.code == scope,
            )
        )
    if not include_inactive:
        query = query.where(
            api_token.c.revoked_at.is_(None),
            or_(api_token.c.expires_at.is_(None), api_token.c.expires_at > now),
            or_(api_token.c.council_member_id.is_(None), _member.c.active.is_(True)),
            or_(
                api_token.c.role != Role.VOLUNTEER.value,
                _volunteer.c.status == community.VolunteerStatus.ACTIVE.value,
            ),
        )
    if before is not None:
        query = query.where(api_token.c.id < before)
    rows = await conn.execute(query.order_by(api_token.c.id.desc()).limit(limit))
    return [_record(row) for row in rows]


async def get_token(conn: AsyncConnection, token_id: int) -> TokenRecord:
    """The credential with id ``token_id``, or :class:`TokenNotFound`."""
    row = (await conn.execute(_select().where(api_token.c.id == token_id))).first()
    if row is None:
        raise TokenNotFound(
            _("No credential has id {token_id}; list them to find its id.", token_id=token_id)
        )
    return _record(row)


async def revoke_token(
    conn: AsyncConnection, token_id: int, *, actor: str, now: datetime
) -> tuple[TokenRecord, bool]:
    """Revoke credential ``token_id`` for good; returns it and whether this call revoked it
    (False: it already was, and keeps its first ``revoked_at`` and ``revoked_by``)."""
    result = await conn.execute(
        update(api_token)
        .where(api_token.c.id == token_id, api_token.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=actor)
    )
    return await get_token(conn, token_id), result.rowcount == 1


async def revoke_passbook_tokens(
    conn: AsyncConnection, passbook_number: str, *, actor: str, now: datetime
) -> int:
    """Revoke every volunteer token of passbook ``passbook_number`` (signed in with a PIN or
    made at the command line); returns how many were still unrevoked."""
    result = await conn.execute(
        update(api_token)
        .where(
            api_token.c.role == Role.VOLUNTEER.value,
            api_token.c.scope == passbook_number,
            api_token.c.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by=actor)
    )
    return result.rowcount


def use_is_due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a request at ``now`` should note the token's use (never noted, or longer ago
    than :data:`USE_NOTED_EVERY`)."""
    return last_used_at is None or now - last_used_at >= USE_NOTED_EVERY


async def note_use(conn: AsyncConnection, token_id: int, now: datetime) -> bool:
    """Record that token ``token_id`` let someone in at ``now``, unless a request noted it less
    than :data:`USE_NOTED_EVERY` ago; returns whether this call wrote. Concurrent requests of
    one token never queue behind each other's note: on PostgreSQL a row another request is
    noting is skipped (its note will do)."""
    due = (
        select(api_token.c.id)
        .where(
            api_token.c.id == token_id,
            or_(
                api_token.c.last_used_at.is_(None),
                api_token.c.last_used_at <= now - USE_NOTED_EVERY,
            ),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await conn.execute(
        update(api_token).where(api_token.c.id == due).values(last_used_at=now)
    )
    return result.rowcount == 1
