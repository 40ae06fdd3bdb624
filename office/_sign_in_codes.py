"""One-time sign-in codes: an admin issues one for a staff or counter device, and the device
exchanges it, once, for a credential of the code's role and scope.

Who issues which code is exactly who may issue that credential (:func:`require_may_issue`,
the credentials' one rule), checked when the code is issued and again when it is exchanged:
the credential is made by :func:`issue_credential`, the function ``passbook token create``
uses, on behalf of the code's issuer, so it records the issuer as its maker
(``created_by``), and an issuer whose own credential was revoked or expired meanwhile leaves
codes that no longer work.

Invariants:

* a code is 8 characters of :data:`ALPHABET` (capitals and digits, no 0/O/1/I), from
  :mod:`secrets`, shown once, grouped ``XXXX-XXXX``; only its SHA-256 is stored;
* a code lives :data:`DEFAULT_LIFE` unless told, at least :data:`MIN_LIFE` and at most
  :data:`MAX_LIFE` (the database refuses longer);
* a code is exchanged at most once: the exchange ends in one atomic ``UPDATE ... WHERE
  used_at IS NULL AND expires_at > now``, so two exchanges at once give one credential;
* an unknown, used, expired or revoked code gets one and the same answer
  (:class:`SignInCodeRefused`), never telling which;
* every well-formed attempt is counted per client address in the shared ``throttle`` table
  before the code is looked at; after :data:`FREE_WRONG_CODES` wrong codes each further
  attempt waits (doubling from :data:`FIRST_WAIT`, at most :data:`community.MAX_WAIT`), and
  while it waits no code is looked at, the right one included; an attempt that succeeds gives
  its count back. A refusal is returned, not raised, so that its count is committed with the
  one transaction: call :meth:`CodeRedemption.accepted` after it.
"""

from __future__ import annotations

import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import observe
from access import Principal, Role, SignInCodeRecord, TokenState
from community.services import OPERATOR
from i18n import _
from office._credentials import IssuedCredential, issue_credential, require_may_issue
from office.errors import (
    SignInCodeLifeInvalid,
    SignInCodeMalformed,
    SignInCodeNotFound,
    SignInCodeNotOpen,
    SignInCodeRace,
    SignInCodeRefused,
    SignInCodeThrottled,
)
from scheme_time import utcnow

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The characters of a code: capitals and digits a cashier cannot misread (no 0, O, 1, I)."""
CODE_LENGTH = 8
DEFAULT_LIFE = timedelta(minutes=10)
MIN_LIFE = timedelta(minutes=1)
MAX_LIFE = timedelta(minutes=access.MAX_LIFE_MINUTES)
SESSION_LIFE = timedelta(hours=12)
"""How long the credential a code becomes lets its device in: one working day."""
LINK_PREFIX = "/signin/code/"
"""The page that exchanges a code opened as a link (or its QR): ``/signin/code/XXXX-XXXX``."""

THROTTLE_SCOPE = "sign-in-code:address"
FREE_WRONG_CODES = 5
"""Wrong codes one client address may send before each further attempt waits."""
FIRST_WAIT = timedelta(seconds=30)
FORGET_AFTER = timedelta(hours=1)
"""An address's count with no attempt for this long starts over."""
_DASHES = "-_‐‑‒–—―−ー"


@dataclass(frozen=True, slots=True)
class IssuedSignInCode:
    """A code just issued: its text (shown only now, grouped) and the register's record."""

    code: str
    record: SignInCodeRecord

    @property
    def expires_at(self) -> datetime:
        return self.record.expires_at

    @property
    def link_path(self) -> str:
        """Where a device opens the code as a link (the sign-in page exchanges it)."""
        return LINK_PREFIX + self.code


@dataclass(frozen=True, slots=True)
class CodeRedemption:
    """What an exchange came to: the new credential, or the refusal (committed with its
    count, so it is returned, not raised)."""

    issued: IssuedCredential | None
    refusal: db.DomainError | None

    def accepted(self) -> IssuedCredential:
        """The credential; raises the refusal if the exchange was refused."""
        if self.refusal is not None:
            raise self.refusal
        assert self.issued is not None
        return self.issued


def grouped(code: str) -> str:
    """A code as shown and printed: ``XXXX-XXXX``."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str | None:
    """The code as stored-hashed (8 capitals and digits), from what a person typed: any case,
    spaces and dashes anywhere, full-width characters from a Chinese input method; None if it
    cannot be a code."""
    text = unicodedata.normalize("NFKC", typed)
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _DASHES).upper()
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def refused() -> SignInCodeRefused:
    """The one answer to a code that is unknown, used, expired or revoked."""
    return SignInCodeRefused(
        _(
            "This sign-in code does not work: it may be mistyped, already used or expired. "
            "Check it and try again, or ask an admin for a new code."
        )
    )


def _throttled(until: datetime | None, now: datetime) -> SignInCodeThrottled:
    wait = (until - now) if until is not None else timedelta(seconds=1)
    seconds = max(1, math.ceil(wait.total_seconds()))
    return SignInCodeThrottled(
        _(
            "Too many wrong sign-in codes from this device: wait {seconds} seconds before "
            "trying again.",
            seconds=seconds,
        ),
        retry_after=seconds,
    )


def _issuer_token_id(principal: Principal) -> int | None:
    """The issuer's own credential (None for the operator); a token-less admin issues none."""
    if principal == OPERATOR:
        return None
    if principal.token_id <= 0:
        raise access.Forbidden(
            _(
                "A sign-in code is issued with an admin's own credential, or by the operator "
                "at the command line."
            )
        )
    return principal.token_id


async def issue_sign_in_code(
    conn: AsyncConnection,
    principal: Principal,
    *,
    role: Role,
    scope: str,
    label: str | None = None,
    valid_for: timedelta = DEFAULT_LIFE,
    now: datetime | None = None,
) -> IssuedSignInCode:
    """Issue a one-time code that a device exchanges for a ``role`` credential over ``scope``
    (an org unit code for admin and auditor, a council member's code, a merchant code), valid
    for ``valid_for`` (10 minutes unless told; 1 to 60). The code is shown once, in the answer.

    Who: exactly who may issue that credential (:func:`require_may_issue`): the operator any,
    an admin what lies within their reach. Refuses what :func:`issue_credential` refuses
    (another role, out of reach, a scope naming nothing or closed), a volunteer's code
    (volunteers sign in with their PIN), a life out of bounds
    (:class:`SignInCodeLifeInvalid`) and an empty or too long label."""
    now = now or utcnow()
    if role is Role.VOLUNTEER:
        raise access.CredentialOutOfReach(
            _("A volunteer signs in with their passbook number and PIN, not with a sign-in code.")
        )
    if not MIN_LIFE <= valid_for <= MAX_LIFE:
        raise SignInCodeLifeInvalid(
            _(
                "A sign-in code is valid for {least} to {most} minutes.",
                least=int(MIN_LIFE / timedelta(minutes=1)),
                most=access.MAX_LIFE_MINUTES,
            )
        )
    text = (label or "").strip() or f"{scope} device"
    if len(text) > 160:
        raise access.CredentialError(_("A sign-in code's label is at most 160 characters."))
    issued_with = _issuer_token_id(principal)
    await require_may_issue(conn, principal, role=role, scope=scope)
    await access.check_scope(conn, role, scope)
    while await access.code_hash_taken(conn, access.hash_token(code := _new_code())):
        pass  # 2**40 codes: a repeat is all but impossible, and never stored twice
    record = await access.store_sign_in_code(
        conn,
        code_hash=access.hash_token(code),
        role=role,
        scope=scope,
        label=text,
        created_by=principal.actor,
        issued_with_token_id=issued_with,
        created_at=now,
        expires_at=now + valid_for,
    )
    return IssuedSignInCode(grouped(code), record)


async def _issuer(
    conn: AsyncConnection, record: SignInCodeRecord, now: datetime
) -> Principal | None:
    """Who issued the code, as they stand now; None when their credential no longer works."""
    if record.issued_with_token_id is None:
        return OPERATOR
    token = await access.get_token(conn, record.issued_with_token_id)
    if token.state(now) is not TokenState.ACTIVE:
        return None
    return Principal(token.id, token.role, token.scope, token.label)


def _refused(refusal: SignInCodeRefused | SignInCodeThrottled) -> CodeRedemption:
    """A refused exchange, counted among the sign-in failures once its count is committed."""
    observe.sign_in_failed(refusal.code)
    return CodeRedemption(None, refusal)


async def redeem_sign_in_code(
    conn: AsyncConnection, *, code: str, address: str, now: datetime | None = None
) -> CodeRedemption:
    """Exchange ``code`` (as typed: any case, spaces, dashes), sent from client ``address``,
    once, for a new credential of its role and scope, valid for :data:`SESSION_LIFE`, made by
    :func:`issue_credential` on behalf of the code's issuer (the credential's ``created_by``
    names them), and mark the code used from ``address``.

    Who: anyone holding the code (no credential needed: it is how a device gets one).
    Refuses, in the answer (call :meth:`CodeRedemption.accepted`): an unknown, used, expired
    or revoked code, or one whose issuer's credential no longer works, all with one answer
    (:class:`SignInCodeRefused`); an address that must wait (:class:`SignInCodeThrottled`).
    Raises at once, counting nothing, for text that cannot be a code
    (:class:`SignInCodeMalformed`); and what :func:`issue_credential` refuses when the code's
    scope was closed or left the issuer's reach since (the code stays unused)."""
    now = now or utcnow()
    typed = normalise_code(code)
    if typed is None:
        raise SignInCodeMalformed(
            _(
                "A sign-in code is 8 capital letters and digits, such as 7KQ4-M2XD (it has no "
                "0, O, 1 or I). Check what you typed."
            )
        )
    key = address[:160]
    counted = await db.throttles.count_unless_blocked(
        conn, THROTTLE_SCOPE, key, forget_before=now - FORGET_AFTER, now=now
    )
    if counted is None:
        held = await db.throttles.held(conn, THROTTLE_SCOPE, key)
        return _refused(_throttled(held.blocked_until if held else None, now))
    found = await access.find_sign_in_code(conn, access.hash_token(typed), for_update=True)
    issuer = None if found is None or not found.is_open(now) else await _issuer(conn, found, now)
    if found is None or issuer is None:
        wait = community.wait_after(counted.failures, free=FREE_WRONG_CODES, first=FIRST_WAIT)
        await db.throttles.block_until(conn, THROTTLE_SCOPE, key, now + wait if wait else None)
        return _refused(refused())
    issued = await issue_credential(
        conn,
        issuer,
        role=found.role,
        scope=found.scope,
        label=f"{found.label}（登录码 {found.id}）",
        valid_for=SESSION_LIFE,
        now=now,
    )
    if not await access.claim_sign_in_code(
        conn, found.id, token_id=issued.record.id, address=address, now=now
    ):
        raise SignInCodeRace  # claimed since it was read: run again, and find it used
    await db.throttles.give_back(conn, THROTTLE_SCOPE, key, counted)
    return CodeRedemption(issued, None)


async def _may_issue(conn: AsyncConnection, principal: Principal, record: SignInCodeRecord) -> bool:
    try:
        await require_may_issue(conn, principal, role=record.role, scope=record.scope)
    except db.DomainError:
        return False
    return True


async def list_sign_in_codes(
    conn: AsyncConnection, principal: Principal, *, now: datetime | None = None
) -> list[SignInCodeRecord]:
    """The codes that could still be exchanged, newest first (never a code or its hash).

    Who: the operator sees all; an admin those they could issue (:func:`require_may_issue`).
    Refuses another role."""
    now = now or utcnow()
    if principal != OPERATOR:
        access.require_role(principal, Role.ADMIN)
    return [
        record
        for record in await access.list_open_sign_in_codes(conn, now)
        if await _may_issue(conn, principal, record)
    ]


async def revoke_sign_in_code(
    conn: AsyncConnection, principal: Principal, *, code_id: int, now: datetime | None = None
) -> SignInCodeRecord:
    """Revoke open code ``code_id``: exchanging it is refused from now on, as an unknown code
    is. Who: whoever could issue it. Refuses an unknown id (:class:`SignInCodeNotFound`), one
    out of reach (:class:`access.CredentialOutOfReach`) and one already used, revoked or
    expired (:class:`SignInCodeNotOpen`)."""
    now = now or utcnow()
    if principal != OPERATOR:
        access.require_role(principal, Role.ADMIN)
    record = await access.get_sign_in_code(conn, code_id)
    if record is None:
        raise SignInCodeNotFound(_("No sign-in code has id {id}.", id=code_id))
    await require_may_issue(conn, principal, role=record.role, scope=record.scope)
    if not await access.revoke_sign_in_code_row(conn, code_id, actor=principal.actor, now=now):
        raise SignInCodeNotOpen(
            _("Sign-in code {id} was already used, revoked or has expired.", id=code_id)
        )
    revoked = await access.get_sign_in_code(conn, code_id)
    assert revoked is not None
    return revoked


__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_LIFE",
    "FREE_WRONG_CODES",
    "LINK_PREFIX",
    "MAX_LIFE",
    "MIN_LIFE",
    "SESSION_LIFE",
    "THROTTLE_SCOPE",
    "CodeRedemption",
    "IssuedSignInCode",
    "grouped",
    "issue_sign_in_code",
    "list_sign_in_codes",
    "normalise_code",
    "redeem_sign_in_code",
    "refused",
    "revoke_sign_in_code",
]
