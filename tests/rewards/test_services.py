"""The use cases check their own access rules, without the API's guards in front of them:
what the command line and the pages call refuses the same callers with the same sentences."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import access
import db
import rewards
from access import Principal, Role
from rewards import services
from tests.rewards.conftest import NOW, Exchange, key, later

STREET_ADMIN = Principal(token_id=1, role=Role.ADMIN, scope="street", label="staff")
G2_ADMIN = Principal(token_id=2, role=Role.ADMIN, scope="street/comm/g2", label="g2 worker")
COUNCIL_G1 = Principal(
    token_id=3, role=Role.COUNCIL, scope="street/comm/g1", label="g1-a", member_id=1
)
P1 = Principal(token_id=4, role=Role.VOLUNTEER, scope="P-1", label="P-1")
SHOP = Principal(token_id=5, role=Role.MERCHANT, scope="shop", label="shop scanner")
OTHER_SHOP = Principal(token_id=6, role=Role.MERCHANT, scope="other", label="other scanner")


def tx(exchange: Exchange) -> db.Transactions:
    return db.Transactions(exchange.engine)


async def test_only_an_admin_of_its_unit_puts_a_reward_in_the_catalog(exchange: Exchange) -> None:
    books = tx(exchange)
    fields = {
        "name": "抽纸",
        "kind": rewards.RewardKind.GOODS,
        "cost_points": 10,
        "merchant_code": "shop",
    }
    with pytest.raises(access.Forbidden):
        await books.write(services.add_reward, COUNCIL_G1, code="tissues", **fields)
    with pytest.raises(access.Forbidden, match="outside this admin token's scope"):
        await books.write(
            services.add_reward, G2_ADMIN, code="tissues", org_unit_code="g1", **fields
        )
    made = await books.write(services.add_reward, STREET_ADMIN, code="tissues", **fields)
    assert made.org_unit_code == "street"  # the admin's own unit, by default
    with pytest.raises(access.Forbidden, match="Reward tissues belongs to street"):
        await books.write(
            services.change_reward,
            G2_ADMIN,
            code="tissues",
            changes=rewards.RewardChanges(active=False),
        )


async def test_a_volunteer_redeems_only_for_their_own_passbook(exchange: Exchange) -> None:
    await exchange.reward("tissues")
    books = tx(exchange)
    with pytest.raises(access.Forbidden, match="only for their own passbook"):
        await books.write(
            services.redeem_reward,
            P1,
            reward_code="tissues",
            passbook="P-2",
            quantity=1,
            idempotency_key=key(),
            now=NOW,
        )
    done = await books.write(
        services.redeem_reward,
        STREET_ADMIN,
        reward_code="tissues",
        passbook="P-1",
        quantity=1,
        idempotency_key=key(),
        now=NOW,
    )
    assert done.actor == STREET_ADMIN.actor  # the books say who acted for the holder
    with pytest.raises(access.Forbidden, match="Only the redemption's holder"):
        await books.read(services.see_redemption, G2_ADMIN, redemption_id=done.id)
    mine = await books.read(
        services.passbook_vouchers, P1, number="P-1", limit=1, before=None, now=NOW
    )
    assert [v.id for v in mine.page.items] == [done.vouchers[0].id]
    assert mine.page.earlier is None


async def test_a_settlement_is_the_merchants_own(exchange: Exchange) -> None:
    books = tx(exchange)
    with pytest.raises(access.Forbidden, match="only its own settlement"):
        await books.read(services.merchant_settlement, OTHER_SHOP, merchant_code="shop")
    with pytest.raises(access.Forbidden, match="for the merchant, admins and auditors"):
        await books.read(services.merchant_settlement, P1, merchant_code="shop")
    with pytest.raises(db.InvalidRequest, match="either 'month' or 'from' and 'to'"):
        await books.read(
            services.merchant_settlement,
            SHOP,
            merchant_code="shop",
            month="2026-11",
            first_day=NOW.date(),
        )
    with pytest.raises(db.InvalidRequest, match="YYYY-MM"):
        await books.read(services.merchant_settlement, SHOP, merchant_code="shop", month="2026-13")
    found = await books.read(
        services.merchant_settlement, SHOP, merchant_code="shop", month="2026-02"
    )
    assert (found.first_day.isoformat(), found.last_day.isoformat()) == ("2026-02-01", "2026-02-28")


async def test_a_scanner_guessing_codes_is_paused_by_the_service(exchange: Exchange) -> None:
    books = tx(exchange)
    throttle = rewards.ScanThrottle(limit=3)

    def verify(principal: Principal) -> Any:
        return lambda: books.read(
            services.verify_voucher, principal, code=rewards.new_code(), now=NOW
        )

    with pytest.raises(access.Forbidden):
        await services.guarded_scan(books, P1, throttle, verify(P1), now=NOW)
    for _ in range(3):
        with pytest.raises(rewards.errors.VoucherNotFound):
            await services.guarded_scan(books, SHOP, throttle, verify(SHOP), now=NOW)
    consume = lambda: books.write(  # noqa: E731
        services.consume_voucher, SHOP, code=rewards.new_code(), now=NOW
    )
    with pytest.raises(rewards.errors.TooManyInvalidCodes):
        await services.guarded_scan(books, SHOP, throttle, consume, now=NOW)
    with pytest.raises(rewards.errors.VoucherNotFound):  # another scanner is not slowed down
        await services.guarded_scan(books, OTHER_SHOP, throttle, verify(OTHER_SHOP), now=NOW)


async def test_the_public_record_of_a_ballot_names_no_one(exchange: Exchange) -> None:
    await exchange.reward(
        "place",
        allocation=rewards.Allocation.BALLOT,
        kind=rewards.RewardKind.PLACE,
        cost_points=20,
        stock_total=1,
    )
    books = tx(exchange)
    opened = {
        "code": "b1",
        "reward_code": "place",
        "rule": rewards.BallotRule.POINTS_RANK,
        "places": 1,
        "opens_at": NOW,
        "closes_at": later(5),
        "claim_days": 3,
        "now": NOW,
    }
    with pytest.raises(access.Forbidden, match="Reward place is for street"):
        await books.write(services.open_ballot, G2_ADMIN, **opened)
    _, created = await books.write(services.open_ballot, STREET_ADMIN, **opened)
    assert created
    for number in ("P-1", "P-2"):
        await books.write(
            services.apply_to_ballot,
            STREET_ADMIN,
            code="b1",
            passbook=number,
            idempotency_key=key(),
            now=later(1),
        )
    with pytest.raises(access.Forbidden, match="Ballot b1 is for street"):
        await books.write(services.draw_ballot, G2_ADMIN, code="b1", now=later(6))
    record = await books.write(services.draw_ballot, STREET_ADMIN, code="b1", now=later(6))
    assert record.ballot.seed is not None
    assert record.result is not None
    assert len(record.result.winners) == 1
    assert len(record.result.waiting) == 1
    shown = {f.name for f in dataclasses.fields(services.PublicApplicant)}
    assert not shown & {"passbook_number", "holder_name", "volunteer_id", "account_id"}
    assert [a.rank for a in record.applicants] == [1, 2]
