"""Issuing bearer tokens: the one use case that makes a credential on someone's say-so (a
volunteer's own sign-in is :func:`community.services.sign_in`).

Who may do what: the operator at the command line (:data:`OPERATOR`, who holds the database
itself) makes any token; an admin makes council tokens only, for the serving council members
of their own unit. A token is shown once, when made, and stored only as its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
from access import Forbidden, Principal, Role
from scheme_time import utcnow

OPERATOR = Principal(
    token_id=0, role=Role.ADMIN, scope="", label="operator", recorded_as="cli:operator"
)
"""The operator at the command line, who holds the database itself: may make any token and
read the whole book, and as an admin is over no org unit (its scope names none)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: its text (shown only now), who it speaks for, until when, and the
    council member it names, when an admin issued it for one."""

    token: str
    principal: Principal
    expires_at: datetime | None
    member: community.CouncilMember | None = None


async def issue_token(
    conn: AsyncConnection,
    principal: Principal,
    *,
    role: Role,
    scope: str,
    label: str | None = None,
    valid_for: timedelta | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Make a ``role`` token over ``scope``: an org unit code (admin, auditor), a council
    member's code (council), a passbook number (volunteer) or a merchant code (merchant),
    valid for ``valid_for`` (for ever if None).

    Who: the :data:`OPERATOR` makes any token, with a label saying whose it is. An admin makes
    council tokens for the members of their unit, labelled with the member's name and code
    unless told otherwise; other roles are refused (:class:`access.Forbidden`), as are members
    outside the admin's unit and members who stepped down
    (:class:`community.CouncilMemberSteppedDown`). A scope that names nothing, or a label
    that is empty or too long, is an :class:`access.CredentialError`."""
    now = now or utcnow()
    member = None
    if principal != OPERATOR:
        access.require_role(principal, Role.ADMIN)
        if role is not Role.COUNCIL:
            raise Forbidden(
                "An admin's token issues council tokens only; other tokens are made at the "
                "command line ('passbook token create')."
            )
        member = await access.council_member_administered_by(conn, principal, scope)
        if not member.active:
            raise community.CouncilMemberSteppedDown(
                f"Council member {scope!r} stepped down and can no longer act; add the "
                "person again under a new code if they return to the council."
            )
        label = label or f"{member.name} ({member.code})"
    raw, issued = await access.create_token(
        conn, role=role, scope=scope, label=label or "", valid_for=valid_for, now=now
    )
    return IssuedToken(raw, issued, now + valid_for if valid_for else None, member)


__all__ = ["OPERATOR", "IssuedToken", "issue_token"]
