"""The counter (``/scan``): a merchant's till verifies a voucher, then hands it over once.

Invariants:

* only a merchant's session opens it (the API's scanner guard), and every verify and consume
  is the API's use case itself (:func:`rewards.services.verify_voucher`,
  :func:`rewards.services.consume_voucher`) behind the same scan throttle
  (:func:`rewards.services.guarded_scan`, the app's one :class:`rewards.ScanThrottle`);
* every consume carries an idempotency key made for that scan (by the page's script, or by
  the server in the plain form's hidden field), namespaced by the credential like the API's:
  a retry with it answers the stored result, any other scan of a used voucher is red;
* forms and the script's requests carry the CSRF token; the session cookie is never taken by
  ``/api``;
* nothing is decided without an answer from the use case: the script shows "do not hand
  over" when the service cannot be reached.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, HeaderParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import rewards
import scheme_time
from access import Principal, Role
from api.auth import roles
from api.problems import status_of
from api.refusals import KEY_NEEDED, MAX_CLIENT_KEY, Refusal
from api.routes.merchants import scan_throttle
from pages.errors import with_retry_after
from pages.routes._counter_bands import Band, consumed, refused, verified
from pages.templating import page
from rewards import services
from scheme_time import utcnow

FRAGMENT_HEADER = "x-counter-fragment"
"""Sent by the page's script: answer with the verdict band alone, not the whole page."""
KEY_HEADER = "Idempotency-Key"
COUNTER_GUARDS = [roles(Role.MERCHANT)]
THROTTLE = {"throttle": Provide(scan_throttle, sync_to_thread=False)}


@dataclass
class CodeForm:
    code: str = ""


@dataclass
class ConsumeForm:
    code: str = ""
    key: str = ""


VerifyBody = Annotated[CodeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
ConsumeBody = Annotated[ConsumeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
KeyHeader = Annotated[str | None, HeaderParameter(name=KEY_HEADER, required=False)]


def normalised(raw: str) -> str:
    """What a scanner or a keyboard sent, as a code: full-width characters (a Chinese input
    method's) made plain, capitals, and only letters and digits kept."""
    plain = unicodedata.normalize("NFKC", raw).upper()
    return "".join(c for c in plain if c.isascii() and c.isalnum())


def page_key(principal: Principal, sent: str) -> str:
    """The scan's key as the books keep it: namespaced by the credential, apart from the
    API's keys."""
    key = sent.strip()
    if not key or len(key) > MAX_CLIENT_KEY:
        raise Refusal(422, KEY_NEEDED)
    return f"page:{principal.key_namespace()}:{key}"


@dataclass(frozen=True, slots=True)
class Today:
    """This merchant's hand-overs today (China Standard Time) and their points."""

    vouchers: int
    points: int


async def today_at(conn: AsyncConnection, principal: Principal) -> Today:
    today = scheme_time.scheme_today()
    found = await services.merchant_settlement(
        conn, principal, merchant_code=principal.scope, first_day=today, last_day=today
    )
    return Today(found.vouchers, found.points)


async def _answer(
    request: Request[Any, Any, Any],
    tx: db.Transactions,
    principal: Principal,
    band: Band | None,
    status_code: int = 200,
) -> Template:
    key = secrets.token_urlsafe(18) if band is not None and band.consume_code else ""
    if request.headers.get(FRAGMENT_HEADER):
        return page(request, "counter_band.html", status_code=status_code, band=band, key=key)
    today = await tx.read(today_at, principal)
    return page(request, "counter.html", status_code=status_code, band=band, key=key, today=today)


async def _refusal(
    request: Request[Any, Any, Any],
    tx: db.Transactions,
    principal: Principal,
    error: db.DomainError,
) -> Template:
    response = await _answer(request, tx, principal, refused(error), status_of(error)[0])
    return with_retry_after(response, error)


@get("/scan", guards=COUNTER_GUARDS, include_in_schema=False)
async def counter(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template:
    return await _answer(request, tx, principal, None)


@get("/scan/today", guards=COUNTER_GUARDS, include_in_schema=False)
async def today(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template:
    """The header's figures alone (the script refreshes them after a hand-over)."""
    return page(request, "counter_today.html", today=await tx.read(today_at, principal))


@post("/scan/verify", guards=COUNTER_GUARDS, dependencies=THROTTLE, include_in_schema=False)
async def verify(
    request: Request[Any, Any, Any],
    data: VerifyBody,
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    throttle: NamedDependency[rewards.ScanThrottle],
) -> Template:
    now = utcnow()
    code = normalised(data.code)
    try:
        scan = await services.guarded_scan(
            tx,
            principal,
            throttle,
            lambda: tx.read(services.verify_voucher, principal, code=code, now=now),
            now=now,
        )
    except db.DomainError as error:
        return await _refusal(request, tx, principal, error)
    return await _answer(request, tx, principal, verified(scan))


@post("/scan/consume", guards=COUNTER_GUARDS, dependencies=THROTTLE, include_in_schema=False)
async def consume(
    request: Request[Any, Any, Any],
    data: ConsumeBody,
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
    throttle: NamedDependency[rewards.ScanThrottle],
    sent_key: KeyHeader = None,
) -> Template:
    key = page_key(principal, sent_key or data.key)
    code = normalised(data.code)
    now = utcnow()
    try:
        done = await services.guarded_scan(
            tx,
            principal,
            throttle,
            lambda: tx.write(
                services.consume_voucher, principal, code=code, idempotency_key=key, now=now
            ),
            replay_key=key,
            now=now,
        )
    except db.DomainError as error:
        return await _refusal(request, tx, principal, error)
    return await _answer(request, tx, principal, consumed(done))


ROUTES: list[Any] = [counter, today, verify, consume]
