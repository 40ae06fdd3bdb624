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

from litestar import get, post
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
from community import services as registry
from community.services import PassbookBalance
from pages.routes._subject import Subject
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
    found = await registry.passbook_balance(conn, principal, number=number)
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
async def rewards_page(subject: NamedDependency[Subject]) -> Template:
    found = await subject.read(offers_for)
    return subject.page("rewards.html", found.found, offers=found)


def _reward_page(
    subject: Subject, found: Offers, *, refusal: Any = None, status_code: int = 200
) -> Template:
    (offer,) = found.offers
    return subject.page(
        "reward.html",
        found.found,
        status_code=status_code,
        offer=offer,
        found=found.found,
        refusal=refusal,
    )


@get("/rewards/{code:str}", include_in_schema=False)
async def reward_page(code: FromPath[str], subject: NamedDependency[Subject]) -> Template:
    return _reward_page(subject, await subject.read(offers_for, code=code))


@get("/rewards/{code:str}/confirm", include_in_schema=False)
async def confirm_page(code: FromPath[str], subject: NamedDependency[Subject]) -> Template:
    found = await subject.read(offers_for, code=code)
    (offer,) = found.offers
    if not offer.can_redeem:
        return _reward_page(subject, found)
    return subject.page(
        "reward_confirm.html",
        found.found,
        offer=offer,
        found=found.found,
        key=secrets.token_urlsafe(18),
    )


@post("/rewards/{code:str}/redeem", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def redeem(
    code: FromPath[str], data: Form, subject: NamedDependency[Subject]
) -> Template | Redirect:
    key = form_key(subject.principal, data.key)
    try:
        done = await subject.tx.write(
            exchange.redeem_reward,
            subject.principal,
            reward_code=code,
            passbook=subject.number,
            quantity=1,
            idempotency_key=key,
        )
    except db.DomainError as refused:
        status, _title = status_of(refused)
        found = await subject.read(offers_for, code=code)
        return _reward_page(subject, found, refusal=refused.message, status_code=status)
    (voucher,) = done.vouchers
    return Redirect(f"/vouchers/{voucher.id}?new=1", status_code=HTTP_303_SEE_OTHER)


ROUTES: list[Any] = [rewards_page, reward_page, confirm_page, redeem]
