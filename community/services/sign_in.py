"""A volunteer signs in with passbook number and PIN and gets a volunteer token.

Invariant: a refused sign-in still commits the wrong PIN it counted; the refusal is handed
back with the outcome (:meth:`SignInAttempt.accepted` raises it), so the caller raises it
only once the transaction has committed. Who: anyone, with no token (it is how a volunteer
gets one); the PIN policy (waits, locks) is :func:`community.check_pin`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
from access import SIGNED_IN, Role
from scheme_time import utcnow


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The volunteer token a sign-in gave (shown only now), until when, and whose it is."""

    token: str
    expires_at: datetime
    valid_for: timedelta
    passbook_number: str
    holder: str


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """What a sign-in came to: a credential, or the refusal to raise once the failure it
    recorded has committed."""

    signed_in: SignedIn | None
    refusal: community.RegistryError | None

    def accepted(self) -> SignedIn:
        """The credential; raises the refusal if the sign-in was refused."""
        if self.refusal is not None:
            raise self.refusal
        assert self.signed_in is not None
        return self.signed_in


async def sign_in(
    conn: AsyncConnection, *, passbook_number: str, pin: str, now: datetime | None = None
) -> SignInAttempt:
    """Check the PIN of passbook ``passbook_number`` and, if it is right, make a volunteer
    token valid for :data:`community.SIGN_IN_VALID_FOR`, labelled as signed in with a PIN (a
    PIN reset revokes every such token).

    Refuses (in the attempt, not raised): a wrong number or PIN alike
    (:class:`community.SignInFailed`), a wait after wrong PINs (``SignInThrottled``), a lock
    (``SignInLocked``) and a moved-away volunteer (``VolunteerMovedAway``). Raises at once for
    a malformed number or PIN, which counts nothing."""
    now = now or utcnow()
    check = await community.check_pin(conn, passbook_number=passbook_number, pin=pin, now=now)
    if check.volunteer is None:
        return SignInAttempt(None, check.refusal)  # commit the recorded failure, then refuse
    valid_for = community.SIGN_IN_VALID_FOR
    raw, _ = await access.create_token(
        conn,
        role=Role.VOLUNTEER,
        scope=check.volunteer.passbook_number,
        label=f"{check.volunteer.name}{SIGNED_IN}",
        valid_for=valid_for,
        created_by="sign-in",
        now=now,
    )
    signed_in = SignedIn(
        raw, now + valid_for, valid_for, check.volunteer.passbook_number, check.volunteer.name
    )
    return SignInAttempt(signed_in, None)


__all__ = ["SignInAttempt", "SignedIn", "sign_in"]
