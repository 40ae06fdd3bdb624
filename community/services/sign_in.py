"""A volunteer signs in with passbook number and PIN and gets a volunteer token.

Invariant: the PIN's hash is computed with no transaction open and no pooled connection
checked out (three steps, :mod:`community._signin_attempts`): one short write transaction
counts the attempt (committed even when the sign-in is refused), the hash runs in a worker
thread, and only a right PIN opens a second short write transaction that clears the count and
makes the token. Who: anyone, with no token (it is how a volunteer gets one); the policy
(waits per address, number and device) is :mod:`community._signin_attempts`'. The grid
worker's unlock (:func:`clear_sign_in_wait`) is an admin over the volunteer's grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import observe
from access import SIGNED_IN, Principal, Role
from scheme_time import utcnow


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The volunteer token a sign-in gave (shown only now), until when, whose it is, and the
    device value to send with later sign-ins from this phone or browser."""

    token: str
    expires_at: datetime
    valid_for: timedelta
    passbook_number: str
    holder: str
    device: str


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """What a sign-in came to: a credential, or the refusal."""

    signed_in: SignedIn | None
    refusal: community.RegistryError | None

    def accepted(self) -> SignedIn:
        """The credential; raises the refusal if the sign-in was refused."""
        if self.refusal is not None:
            raise self.refusal
        assert self.signed_in is not None
        return self.signed_in


def _refused(refusal: community.RegistryError | None) -> SignInAttempt:
    """A refused sign-in, counted for the metrics (once its attempt is committed)."""
    if refusal is not None:
        observe.sign_in_failed(refusal.code)
    return SignInAttempt(None, refusal)


async def _issue(
    conn: AsyncConnection,
    attempt: community.Attempt,
    *,
    stored: str,
    device: str | None,
    now: datetime,
) -> SignInAttempt:
    check = await community.finish_attempt(conn, attempt, matched=True, stored_seen=stored, now=now)
    if check.volunteer is None:
        return _refused(check.refusal)
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
    if attempt.device_id is None or device is None:
        device = await community.remember_device(conn, check.volunteer.id, now)
    signed_in = SignedIn(
        raw,
        now + valid_for,
        valid_for,
        check.volunteer.passbook_number,
        check.volunteer.name,
        device,
    )
    return SignInAttempt(signed_in, None)


async def sign_in(
    tx: db.Transactions,
    *,
    passbook_number: str,
    pin: str,
    address: str,
    device: str | None = None,
    now: datetime | None = None,
) -> SignInAttempt:
    """Check the PIN of passbook ``passbook_number`` from client ``address`` and, if it is
    right, make a volunteer token valid for :data:`community.SIGN_IN_VALID_FOR`, labelled as
    signed in with a PIN (a PIN reset revokes every such token), and a device value.

    Unlike other use cases this one runs its own transactions (``tx``), so that the hash runs
    outside any of them. Refuses (in the attempt, not raised): a wrong number or PIN alike
    (:class:`community.SignInFailed`), a wait (``SignInThrottled``) and a moved-away volunteer
    (``VolunteerMovedAway``). Raises at once for a malformed number or PIN (counting nothing)
    and :class:`community.SignInBusy` when too many hashes run at once."""
    now = now or utcnow()
    community.valid_number(passbook_number, pin)  # malformed: refused before waiting
    known_wait = community.known_address_wait(tx.engine, address, device, now)
    if known_wait is not None:  # the table made this address wait: no need to ask it again
        return _refused(known_wait)
    async with community.sign_in_place():
        attempt = await tx.write(
            community.begin_attempt,
            passbook_number=passbook_number,
            pin=pin,
            address=address,
            device=device,
            now=now,
        )
        community.note_address_wait(tx.engine, attempt, address)  # committed: safe to remember
        if attempt.refusal is not None:
            return _refused(attempt.refusal)
        matched = await community.run_hash(pin, attempt.stored_hash)  # no connection held
        if not matched or attempt.volunteer_id is None:
            return _refused(community.failed())  # counted in step 1 already
        return await tx.write(_issue, attempt, stored=attempt.stored_hash, device=device, now=now)


async def clear_sign_in_wait(
    conn: AsyncConnection, principal: Principal, *, number: str
) -> community.Volunteer:
    """The grid worker's unlock: clear a volunteer's count of wrong PINs and the wait it
    brought, without changing the PIN (a reset does this too). Who: an admin above the
    volunteer's grid."""
    access.require_role(principal, Role.ADMIN)
    await access.volunteer_administered_by(conn, principal, number)
    return await community.clear_number_wait(conn, number)


__all__ = ["SignInAttempt", "SignedIn", "clear_sign_in_wait", "sign_in"]
