"""Rewards for a volunteer: what can be redeemed now, why not the rest, and redeeming one
after a confirmation step.

Invariants:

* the offers and their reasons are :func:`rewards.services.browse_catalog`'s (and
  ``see_reward``'s), judged for the page's subject: no rule is judged here;
* a redemption is :func:`rewards.services.redeem_reward`, with quantity one and the
  Idempotency-Key the confirmation form was made with (one fresh key per confirmation page,
  namespaced by credential as the API does), so a double click, a resent form or a reload
  after a lost answer redeems once and shows the same voucher;
* a refusal at redemption (stock gone in between, points short) is shown on the reward's page
  in the page's language, and nothing was written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import rewards
from access import Principal
from api.problems import status_of
from community.services import PassbookBalance
from pages.subject import acting, elsewhere, subject_balance, subject_number
from pages.templating import page
from rewards import services as exchange


@dataclass(frozen=True, slots=True)
class Offers:
    found: PassbookBalance
    offers: list[rewards.Offer]

    @property
    def now(self) -> list[rewards.Offer]:
        return [o for o in self.offers if o.can_redeem]

    @property
    def later(self) -> list[rewards.Offer]:
        return [o for o in self.offers if not o.can_redeem]


async def offers_for(
    conn: AsyncConnection, principal: Principal, *, number: str, code: str | None = None
) -> Offers:
    found = await subject_balance(conn, principal, number=number)
    if code is None:
        catalog = await exchange.browse_catalog(conn, principal, passbook=number)
    else:
        catalog = await exchange.see_reward(conn, principal, code=code, passbook=number)
    return Offers(found, catalog.offers)


MAX_KEY = 100


def form_key(principal: Principal, sent: str) -> str:
    """The confirmation form's key as an Idempotency-Key, namespaced by who sent it (as the
    API namespaces its clients' keys), so two callers' keys never collide."""
    key = sent.strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationException("The confirmation form's key is missing or too long.")
    return f"pages:{principal.key_namespace()}:{key}"


@dataclass
class RedeemForm:
    key: str = ""


Form = Annotated[RedeemForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


@get("/rewards", include_in_schema=False)
async def rewards_page(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template | Redirect:
    number = subject_number(request, principal)
    if number is None:
        return elsewhere(principal)
    found = await tx.read(offers_for, principal, number=number)
    return page(request, "rewards.html", offers=found, acting=acting(principal, found.found))


def _reward_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    found: Offers,
    *,
    refusal: Any = None,
    status_code: int = 200,
) -> Template:
    (offer,) = found.offers
    return page(
        request,
        "reward.html",
        status_code=status_code,
        offer=offer,
        found=found.found,
        refusal=refusal,
        acting=acting(principal, found.found),
    )


@get("/rewards/{code:str}", include_in_schema=False)
async def reward_page(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template | Redirect:
    number = subject_number(request, principal)
    if number is None:
        return elsewhere(principal)
    found = await tx.read(offers_for, principal, number=number, code=code)
    return _reward_page(request, principal, found)


@get("/rewards/{code:str}/confirm", include_in_schema=False)
async def confirm_page(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template | Redirect:
    number = subject_number(request, principal)
    if number is None:
        return elsewhere(principal)
    found = await tx.read(offers_for, principal, number=number, code=code)
    (offer,) = found.offers
    if not offer.can_redeem:
        return _reward_page(request, principal, found)
    return page(
        request,
        "reward_confirm.html",
        offer=offer,
        found=found.found,
        key=secrets.token_urlsafe(18),
        acting=acting(principal, found.found),
    )


@post("/rewards/{code:str}/redeem", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def redeem(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    data: Form,
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Template | Redirect:
    number = subject_number(request, principal)
    if number is None:
        return elsewhere(principal)
    key = form_key(principal, data.key)
    try:
        done = await tx.write(
            exchange.redeem_reward,
            principal,
            reward_code=code,
            passbook=number,
            quantity=1,
            idempotency_key=key,
        )
    except db.DomainError as refused:
        status, _title = status_of(refused)
        found = await tx.read(offers_for, principal, number=number, code=code)
        return _reward_page(request, principal, found, refusal=refused.message, status_code=status)
    (voucher,) = done.vouchers
    return Redirect(f"/vouchers/{voucher.id}?new=1", status_code=HTTP_303_SEE_OTHER)


ROUTES: list[Any] = [rewards_page, reward_page, confirm_page, redeem]
