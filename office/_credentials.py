"""Credentials, managed: issued, listed and revoked by the street office.

Who reaches which credential (the rule, written once here, for the API and the command line):

* the :data:`community.services.OPERATOR` at the command line (who holds the database itself)
  issues, lists and revokes every credential;
* an admin **issues** admin credentials only for org units strictly under their own (a
  community's staff make grid workers' credentials: admin tokens scoped to a grid), auditor
  credentials for their own unit or one under it (an auditor reads no more than the admin),
  council credentials for the council members of their unit, and merchant credentials of
  the merchants serving their unit or one under it (a merchant serves one org unit: a
  street's merchant is the street admins'). Never above or beside their unit, never a
  volunteer's (volunteers sign in with their PIN);
* an admin **sees** the credentials lying in their unit: org roles by path (their own unit's
  included), volunteers' by their passbook's grid, merchants' by the merchant's unit;
* an admin **revokes** what they could issue, and volunteers' tokens of their unit; an admin
  token of their own unit (their own or a colleague's) is revoked from above or by the
  operator, so no admin locks out the colleagues who could undo it;
* anyone **signs out**: revokes the credential their own request is made with, and no other
  (:func:`sign_out`, what a page's sign-out button does).

Invariants: a credential's scope exists and is open (an org unit not closed, a serving council
member, an active volunteer, a merchant of the rewards' register); every credential records
who made it, every revocation who revoked it; revoking a revoked credential changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import rewards
from access import CredentialOutOfReach, Principal, Role, TokenRecord
from community.services import OPERATOR
from scheme_time import utcnow

_REVOKES_WHAT = (
    "an admin revokes admin credentials of units strictly under their own, auditor, council "
    "and volunteer credentials in their unit, and merchant credentials of merchants serving "
    "their unit; ask an admin above, or the operator ('passbook token revoke')"
)


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A credential just made: its text (shown only now), who it speaks for, the register's
    record of it, and the council member it names, when an admin issued it for one."""

    token: str
    principal: Principal
    record: TokenRecord
    member: community.CouncilMember | None = None

    @property
    def expires_at(self) -> datetime | None:
        return self.record.expires_at


@dataclass(frozen=True, slots=True)
class CredentialList:
    """A page of credentials, newest first, and the moment their states were judged at."""

    page: db.Page[TokenRecord]
    now: datetime


@dataclass(frozen=True, slots=True)
class Revocation:
    """A credential after a revocation, and whether this request revoked it (False: it
    already was revoked, by ``record.revoked_by`` at ``record.revoked_at``)."""

    record: TokenRecord
    revoked_now: bool


def _is_operator(principal: Principal) -> bool:
    return principal == OPERATOR


def _strictly_under(path: str, scope: str) -> bool:
    return path != scope and community.within(path, scope)


def manages(principal: Principal, record: TokenRecord, *, merchant_path: str | None = None) -> bool:
    """Whether ``principal`` may revoke the credential ``record`` (see the module's rule);
    ``merchant_path`` is the org unit path of the merchant a merchant credential speaks for."""
    if _is_operator(principal):
        return True
    if principal.role is not Role.ADMIN:
        return False
    if record.role is Role.MERCHANT:
        return merchant_path is not None and community.within(merchant_path, principal.scope)
    path = record.unit_path
    if path is None:
        return False
    if record.role is Role.ADMIN:
        return _strictly_under(path, principal.scope)
    return community.within(path, principal.scope)


async def _require_merchant(conn: AsyncConnection, code: str) -> None:
    if not community.is_code(code):
        raise access.UnknownScope(
            f"Merchant code {code!r} must be lower-case letters, digits or dashes."
        )
    if await rewards.find_merchant(conn, code) is None:
        raise access.UnknownScope(
            f"No merchant with code {code!r}; add the merchant first (POST /api/merchants), "
            "then make its credential."
        )


async def _within_reach(
    conn: AsyncConnection, principal: Principal, role: Role, scope: str
) -> community.CouncilMember | None:
    """Refuse an admin a credential out of their reach; the council member a council
    credential names."""
    if role is Role.VOLUNTEER:
        raise CredentialOutOfReach(
            "A volunteer's token is got by signing in with their PIN; an admin sets or resets "
            "the PIN (PUT /api/volunteers/{number}/pin) instead of making a token."
        )
    if role is Role.MERCHANT:
        seller = await rewards.find_merchant(conn, scope)
        if seller is not None and not community.within(seller.org_unit_path, principal.scope):
            raise CredentialOutOfReach(
                f"Merchant {scope!r} serves a unit outside this token's scope: its credential "
                "is made by an admin over that unit (or the operator)."
            )
        return None
    if role is Role.COUNCIL:
        member = await access.council_member_administered_by(conn, principal, scope)
        if not member.active:
            raise community.CouncilMemberSteppedDown(
                f"Council member {scope!r} stepped down and can no longer act; add the "
                "person again under a new code if they return to the council."
            )
        return member
    unit = await community.find_org_unit(conn, scope)
    if unit is None:
        raise access.UnknownScope(
            f"No org unit with code {scope!r}; a {role} token is scoped to one."
        )
    if role is Role.ADMIN and not _strictly_under(unit.path, principal.scope):
        raise CredentialOutOfReach(
            f"An admin makes admin credentials only for units strictly under their own "
            f"({principal.scope}); {unit.name} ({scope}) is not. Ask an admin above it."
        )
    if not community.within(unit.path, principal.scope):
        raise CredentialOutOfReach(
            f"{unit.name} ({scope}) is outside this token's scope ({principal.scope}): an "
            "admin makes auditor credentials only for their own unit or one under it."
        )
    return None


async def require_may_issue(
    conn: AsyncConnection, principal: Principal, *, role: Role, scope: str
) -> community.CouncilMember | None:
    """Refuse unless ``principal`` may issue a ``role`` credential over ``scope`` (the rule of
    the module, written once: credentials and sign-in codes alike); the council member a
    council credential names, when an admin asks. The refusals are :func:`issue_credential`'s
    (a scope's existence and openness is :func:`access.create_token`'s to check)."""
    member = None
    if not _is_operator(principal):
        access.require_role(principal, Role.ADMIN)
        member = await _within_reach(conn, principal, role, scope)
    if role is Role.MERCHANT:
        await _require_merchant(conn, scope)
    return member


async def issue_credential(
    conn: AsyncConnection,
    principal: Principal,
    *,
    role: Role,
    scope: str,
    label: str | None = None,
    valid_for: timedelta | None = None,
    now: datetime | None = None,
) -> IssuedCredential:
    """Make a ``role`` credential over ``scope``: an org unit code (admin, auditor; a grid
    worker's is an admin credential for a grid), a council member's code (council), a
    passbook number (volunteer) or a merchant code (merchant), valid for ``valid_for`` (for
    ever if None), recording who made it. The token is shown once, in the answer.

    Who: the operator makes any; an admin what is within their reach (see the module), a
    council credential labelled with the member's name and code unless told otherwise.
    Refuses: another role (:class:`access.Forbidden`), a credential out of reach
    (:class:`access.CredentialOutOfReach`; a council member outside the unit is
    :class:`access.Forbidden`, one unknown :class:`community.CouncilMemberNotFound`), a scope
    that names nothing (:class:`access.UnknownScope`), a closed unit or a volunteer who moved
    away (:class:`access.ClosedScope`), a member who stepped down
    (:class:`community.CouncilMemberSteppedDown` or ``ClosedScope``), an empty or too long
    label (:class:`access.CredentialError`)."""
    now = now or utcnow()
    member = await require_may_issue(conn, principal, role=role, scope=scope)
    if member is not None:
        label = label or f"{member.name} ({member.code})"
    raw, issued = await access.create_token(
        conn,
        role=role,
        scope=scope,
        label=label or "",
        valid_for=valid_for,
        created_by=principal.actor,
        now=now,
    )
    return IssuedCredential(raw, issued, await access.get_token(conn, issued.token_id), member)


async def _require_filter_in_reach(conn: AsyncConnection, principal: Principal, scope: str) -> None:
    """Refuse an admin a listing filtered on something outside their unit."""
    outside = f"{scope!r} lies outside this token's scope ({principal.scope})."
    unit = await community.find_org_unit(conn, scope)
    member = await community.find_council_member(conn, scope)
    passbook = await community.find_passbook(conn, scope)
    paths = [
        unit.path if unit else None,
        member.grid_path if member else None,
        passbook.grid_path if passbook else None,
    ]
    if any(p is not None and not community.within(p, principal.scope) for p in paths):
        raise CredentialOutOfReach(outside)
    seller = await rewards.find_merchant(conn, scope)
    if seller is not None and not community.within(seller.org_unit_path, principal.scope):
        raise CredentialOutOfReach(
            f"{scope!r} is a merchant of a unit outside this token's scope: its credentials "
            "are seen by the admins over that unit."
        )


async def list_credentials(
    conn: AsyncConnection,
    principal: Principal,
    *,
    role: Role | None = None,
    scope: str | None = None,
    include_inactive: bool = False,
    before: int | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> CredentialList:
    """A page of the credentials the caller sees, newest first, older than ``before``; only
    those that still let someone in unless ``include_inactive`` (then expired and revoked
    ones and those whose holder left too). ``role`` and ``scope`` narrow it: ``scope`` is
    what a credential was made for (an org unit code, a council member's code, a passbook
    number, a merchant code). Never a token's hash.

    Who: the operator sees all; an admin those in their unit (see the module). Refuses another
    role, and a ``scope`` naming a unit, member, passbook or merchant outside the admin's
    reach (:class:`access.CredentialOutOfReach`)."""
    now = now or utcnow()
    under_path: str | None = None
    merchants: bool | list[str] = True
    if not _is_operator(principal):
        access.require_role(principal, Role.ADMIN)
        if scope is not None:
            await _require_filter_in_reach(conn, principal, scope)
        under_path = principal.scope
        merchants = [m.code for m in await rewards.list_merchants(conn, under_path=principal.scope)]
    rows = await access.list_tokens(
        conn,
        under_path=under_path,
        merchants=merchants,
        role=role,
        scope=scope,
        include_inactive=include_inactive,
        before=before,
        limit=db.fetch_size(limit),
        now=now,
    )
    return CredentialList(db.page_of(rows, limit, lambda r: r.id), now)


async def revoke_credential(
    conn: AsyncConnection, principal: Principal, *, token_id: int, now: datetime | None = None
) -> Revocation:
    """Revoke credential ``token_id`` for good, recording who did it: the next request with it
    gets 401. Revoking one already revoked changes nothing and answers its state.

    Who: the operator any; an admin what they manage (see the module). Refuses another role,
    an unknown id (:class:`access.TokenNotFound`) and one out of reach
    (:class:`access.CredentialOutOfReach`)."""
    if not _is_operator(principal):
        access.require_role(principal, Role.ADMIN)
    record = await access.get_token(conn, token_id)
    seller = (
        await rewards.find_merchant(conn, record.scope) if record.role is Role.MERCHANT else None
    )
    if not manages(
        principal, record, merchant_path=None if seller is None else seller.org_unit_path
    ):
        mine = (
            " It is the token this request is made with." if record.id == principal.token_id else ""
        )
        raise CredentialOutOfReach(
            f"Credential {token_id} is out of this token's reach: {_REVOKES_WHAT}.{mine}"
        )
    record, revoked_now = await access.revoke_token(
        conn, token_id, actor=principal.actor, now=now or utcnow()
    )
    return Revocation(record, revoked_now)


async def sign_out(
    conn: AsyncConnection, principal: Principal, *, now: datetime | None = None
) -> Revocation:
    """Revoke the credential this request is made with, for good, recording who did it: the
    next request with it is not let in. Who: any principal holding a credential, for its own
    credential only (the operator holds none)."""
    if _is_operator(principal):
        raise db.InvalidRequest("The operator holds no credential to sign out of.")
    record, revoked_now = await access.revoke_token(
        conn, principal.token_id, actor=principal.actor, now=now or utcnow()
    )
    return Revocation(record, revoked_now)


__all__ = [
    "CredentialList",
    "IssuedCredential",
    "Revocation",
    "issue_credential",
    "list_credentials",
    "manages",
    "require_may_issue",
    "revoke_credential",
    "sign_out",
]
