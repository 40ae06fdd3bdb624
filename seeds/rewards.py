"""The rewards exchange as the article describes it: the catalog (tissues, toiletries, small
carts, dumplings, fresh vegetables, a car wash, children's classes, private-cinema screenings
and kindergarten places by ballot), the merchants that honour it with demo scanner tokens, a
few vouchers in each state (open, used, cancelled, expired), and a drawn ballot for two
kindergarten places.

Loaded through the services with fixed keys and find-or-create, so loading twice changes
nothing; the ballot is found by its code and never drawn twice (its seed, drawn from
``secrets`` on the first load, differs between fresh databases, but the rule is points_rank and
the three applicants' points differ, so the winners are always the same two).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import rewards
from access import Role, api_token, create_token, hash_token
from rewards import (
    Allocation,
    BallotRule,
    BallotSpec,
    LimitPeriod,
    RewardKind,
    RewardSpec,
    VoucherStatus,
)

ACTOR = "demo-loader"

MERCHANT_UNIT = "yanshan"
MERCHANTS = [
    ("market", "燕子山便民超市"),
    ("carwash", "洁亮洗车行"),
    ("school", "小树苗儿童培训学校"),
    ("cinema", "光影私人影院"),
    ("kindergarten", "燕山街道幼儿园"),
]


def merchant_token(code: str) -> str:
    """The well-known demo scanner token of a demo merchant."""
    return f"pb_demo_merchant_{code}"


CATALOG = [
    RewardSpec(
        code="tissues",
        name="抽纸（一提）",
        description="Tissues, one pack of six.",
        kind=RewardKind.GOODS,
        cost_points=10,
        merchant_code="market",
        org_unit_code="yanshan",
        stock_total=200,
        monthly_quota=60,
        per_volunteer_limit=2,
        voucher_valid_days=30,
    ),
    RewardSpec(
        code="toiletries",
        name="洗漱用品套装",
        description="Toiletries: toothpaste, toothbrush, soap and a towel.",
        kind=RewardKind.GOODS,
        cost_points=30,
        merchant_code="market",
        org_unit_code="yanshan",
        stock_total=80,
        per_volunteer_limit=1,
        voucher_valid_days=30,
    ),
    RewardSpec(
        code="shopping-cart",
        name="小推车",
        description="A small folding shopping cart.",
        kind=RewardKind.GOODS,
        cost_points=80,
        merchant_code="market",
        org_unit_code="yanshan",
        stock_total=20,
        per_volunteer_limit=1,
        limit_period=LimitPeriod.EVER,
        voucher_valid_days=30,
    ),
    RewardSpec(
        code="dumplings",
        name="水饺（一斤）",
        description="Frozen dumplings, 500 g.",
        kind=RewardKind.GOODS,
        cost_points=15,
        merchant_code="market",
        org_unit_code="yanshan",
        stock_total=100,
        monthly_quota=40,
        per_volunteer_limit=2,
        voucher_valid_days=14,
    ),
    RewardSpec(
        code="vegetables",
        name="新鲜时蔬（一份）",
        description="A bag of fresh seasonal vegetables; collect within three days.",
        kind=RewardKind.GOODS,
        cost_points=8,
        merchant_code="market",
        org_unit_code="yanshan",
        monthly_quota=100,
        per_volunteer_limit=4,
        voucher_valid_days=3,
    ),
    RewardSpec(
        code="car-wash",
        name="免费洗车（一次）",
        description="One free car wash, outside and in.",
        kind=RewardKind.SERVICE,
        cost_points=40,
        merchant_code="carwash",
        org_unit_code="yanshan",
        stock_total=50,
        per_volunteer_limit=1,
        voucher_valid_days=30,
    ),
    RewardSpec(
        code="kids-class",
        name="儿童培训课（一节）",
        description="One children's class: calligraphy, painting or chess.",
        kind=RewardKind.SERVICE,
        cost_points=60,
        merchant_code="school",
        org_unit_code="yanshan",
        stock_total=30,
        per_volunteer_limit=2,
        min_lifetime_points=50,
        voucher_valid_days=60,
    ),
    RewardSpec(
        code="cinema",
        name="私人影院观影（一场）",
        description="One private-cinema screening for up to four people.",
        kind=RewardKind.SERVICE,
        cost_points=100,
        merchant_code="cinema",
        org_unit_code="yanshan",
        stock_total=10,
        per_volunteer_limit=1,
        min_lifetime_points=100,
        voucher_valid_days=60,
    ),
    RewardSpec(
        code="kindergarten-place",
        name="幼儿园入园名额",
        description="A scarce kindergarten admission place, allocated by a published ballot.",
        kind=RewardKind.PLACE,
        cost_points=300,
        merchant_code="kindergarten",
        org_unit_code="yanzishan",
        allocation=Allocation.BALLOT,
        stock_total=3,
        per_volunteer_limit=1,
        limit_period=LimitPeriod.EVER,
        min_months_registered=3,
        voucher_valid_days=90,
    ),
]

# (key, reward, passbook, quantity, days ago, what happens to its vouchers). YZS1-0001, the
# demo volunteer's own passbook, is left untouched so that it can try everything itself.
REDEMPTIONS = [
    ("demo:redeem:1", "dumplings", "YZS4-0001", 1, 5, "used"),
    ("demo:redeem:2", "car-wash", "YZS4-0001", 1, 3, "open"),
    ("demo:redeem:3", "tissues", "YZS4-0001", 2, 2, "open"),
    ("demo:redeem:4", "toiletries", "YZS6-0001", 1, 4, "cancelled"),
    ("demo:redeem:5", "vegetables", "YZS7-0001", 1, 10, "expired"),
]


# The kindergarten ballot: opened two weeks before the load, applied to by three long-time
# volunteers of grid 4 (registered in July, with over 300 points each), closed a week before
# the load and drawn at the load.
BALLOT_CODE = "kindergarten-2027-spring"
BALLOT_APPLICANTS = ["YZS4-0004", "YZS4-0002", "YZS4-0003"]


async def load_ballot_demo(conn: AsyncConnection, now: datetime) -> None:
    if await rewards.find_ballot(conn, BALLOT_CODE) is not None:
        return  # loaded before: never opened or drawn again
    opened = now - timedelta(days=14)
    spec = BallotSpec(
        code=BALLOT_CODE,
        reward_code="kindergarten-place",
        rule=BallotRule.POINTS_RANK,
        places=2,
        opens_at=opened,
        closes_at=now - timedelta(days=7),
        claim_days=14,
    )
    await rewards.open_ballot(conn, spec, actor=ACTOR, now=opened)
    for number in BALLOT_APPLICANTS:
        await rewards.apply_to_ballot(
            conn,
            ballot_code=BALLOT_CODE,
            passbook_number=number,
            idempotency_key=f"demo:ballot:{BALLOT_CODE}:{number}",
            actor=ACTOR,
            now=now - timedelta(days=10),
        )
    await rewards.draw_ballot(conn, ballot_code=BALLOT_CODE, actor=ACTOR, now=now)


async def load_rewards_demo(conn: AsyncConnection) -> None:
    for code, name in MERCHANTS:
        # Every demo merchant serves the whole street; a community's own shop would name it.
        await rewards.add_merchant(
            conn, code=code, name=name, org_unit_code=MERCHANT_UNIT, actor=ACTOR
        )
        raw = merchant_token(code)
        known = await conn.scalar(
            select(api_token.c.id).where(api_token.c.token_hash == hash_token(raw))
        )
        if known is None:
            await create_token(
                conn, role=Role.MERCHANT, scope=code, label=f"{name}演示收银台", raw=raw
            )
    for spec in CATALOG:
        if await rewards.find_reward(conn, spec.code) is None:
            await rewards.add_reward(conn, spec, actor=ACTOR)
    now = datetime.now(UTC)
    for key, reward_code, number, quantity, days_ago, fate in REDEMPTIONS:
        when = now - timedelta(days=days_ago)
        done = await rewards.redeem_reward(
            conn,
            reward_code=reward_code,
            passbook_number=number,
            quantity=quantity,
            idempotency_key=key,
            actor=ACTOR,
            now=when,
        )
        for voucher in done.vouchers:
            if voucher.status is not VoucherStatus.ISSUED:
                continue  # loaded before
            if fate == "used":
                await rewards.consume_voucher(
                    conn,
                    code=voucher.code,
                    merchant_code=voucher.merchant_code,
                    scanner=f"merchant:demo scanner ({voucher.merchant_code})",
                    now=when + timedelta(days=1),
                )
            elif fate == "cancelled":
                await rewards.cancel_voucher(
                    conn, voucher_id=voucher.id, actor=ACTOR, now=when + timedelta(hours=2)
                )
            elif fate == "expired":
                await rewards.expire_voucher(conn, voucher.id, now=now)
    await load_ballot_demo(conn, now)
