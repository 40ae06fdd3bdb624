"""A model test of the service layer: whatever a grid's council, its volunteers and its
merchants do, in any order, every passbook, reward and voucher agrees with a small in-memory
model (:mod:`tests.model._model`), and the ledger's own check passes.

Invariant protected: after every step, for each volunteer's passbook the posted, held and
lifetime-earned points, for each reward its stock used, for each volunteer and reward the limit
used, for each voucher its status, for each merchant its takings and for the grid the points it
has put into circulation are exactly what the model says; a request the model says must be
refused (points short, sold out, limit reached, a sheet over the daily cap, a reversal that
would take a passbook below zero, a voucher used, cancelled, expired or for another merchant)
raises that domain error and changes nothing; at the end of each run every hold is closed the
way its voucher was, and :func:`ledger.verify_books` finds no problem.

How it runs: Hypothesis (:class:`~hypothesis.stateful.RuleBasedStateMachine`) drives the
service functions directly (no HTTP), each use case in its own transaction as the API runs it.
The state machine is synchronous, so one event loop (:class:`asyncio.Runner`) and one engine
serve the whole pytest test, on one freshly migrated database (the ``database_url`` fixture).
Every Hypothesis example builds its own street, grid, council members, volunteers, merchants
and rewards under fresh codes, and its clock starts on a later day than the previous example's
ended, at 10:00 in Jinan, so examples never see each other's vouchers and replay the same way
whichever came first; a run ends by sweeping all of its vouchers out.

Reproducing a failure: the report prints the minimal sequence of steps, a
``@reproduce_failure(...)`` blob (``print_blob``) and the seed of the run. Re-run the whole
run with the seed (shrinking included, a minute or two)::

    .venv/bin/python -m pytest tests/model -q --hypothesis-seed=N

(with ``PASSBOOK_TEST_DATABASE_URL=...`` for PostgreSQL), or, to replay just the minimal
example in a second, put the blob on the state machine while debugging::

    @reproduce_failure("6.170.17", b"...")
    class PassbookMachine(RuleBasedStateMachine): ...

The example database is off (``database=None``), so nothing is written into the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, event, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import council
import db
import ledger
import rewards
from rewards import errors as rewards_errors
from tests.model._model import (
    SCHEME_TZ,
    Model,
    PassbookModel,
    Refusal,
    RewardModel,
    Scan,
    Status,
    local_day,
)

T = TypeVar("T")

VOLUNTEERS = 3
MERCHANTS = 2
REWARDS = 3
SCANNERS = ("till-1", "till-2")
FRESH = itertools.count(1)  # fresh scan keys, never repeated
FIRST_DAY = date(2027, 3, 1)
OPENING_HOUR = time(10, 0)
ACTOR = "model-test"

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    database=None,
    print_blob=True,
    # The explain phase traces every line the service runs; it multiplies the cost of each
    # re-run and its report is seldom useful for a state machine.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)

ERROR_OF: dict[Refusal, tuple[type[Exception], ...]] = {
    Refusal.INSUFFICIENT_POINTS: (ledger.errors.InsufficientPoints,),
    Refusal.SOLD_OUT: (rewards_errors.SoldOut,),
    Refusal.LIMIT_REACHED: (rewards_errors.LimitReached,),
    Refusal.INVALID_LINE: (council.InvalidSheet,),
    Refusal.DAILY_CAP: (council.DailyCapExceeded,),
    Refusal.BELOW_ZERO: (council.CorrectionRefused,),
    Refusal.ALREADY_REVERSED: (council.SheetStateConflict,),
    Refusal.ALREADY_USED: (rewards_errors.VoucherAlreadyUsed,),
    Refusal.EXPIRED: (rewards_errors.VoucherExpired,),
    Refusal.CANCELLED: (rewards_errors.VoucherCancelled,),
    Refusal.NOT_YOURS: (rewards_errors.VoucherNotYours,),
}
HOLD_OF = {
    Status.ISSUED: ledger.HoldStatus.HELD,
    Status.USED: ledger.HoldStatus.SETTLED,
    Status.CANCELLED: ledger.HoldStatus.RELEASED,
    Status.EXPIRED: ledger.HoldStatus.EXPIRED,
}


def opening_time(day: date) -> datetime:
    return datetime.combine(day, OPENING_HOUR, SCHEME_TZ).astimezone(UTC)


@dataclass
class Harness:
    """What every example of one pytest test shares: the loop, the engine, fresh codes and
    the day the next example's clock starts."""

    runner: asyncio.Runner
    engine: AsyncEngine
    counter: Iterator[int]
    next_day: date = FIRST_DAY


@dataclass(frozen=True)
class RewardPlan:
    cost: int
    stock_total: int | None
    limit: int | None
    valid_days: int
    merchant: int


@dataclass(frozen=True)
class IssuedVoucher:
    id: int
    code: str
    hold_id: ledger.HoldId


@dataclass(frozen=True)
class RedeemRequest:
    key: str
    reward_code: str
    passbook_number: str
    quantity: int


@dataclass(frozen=True)
class World:
    """The database side of one example's entities."""

    prefix: str
    rule: str
    author_id: int
    approver_id: int
    volunteers: tuple[rewards.Volunteer, ...]
    merchants: tuple[rewards.Merchant, ...]
    reward_codes: tuple[str, ...]
    issuance_account: ledger.AccountId


reward_plans = st.builds(
    RewardPlan,
    cost=st.integers(1, 20),
    stock_total=st.none() | st.integers(0, 5),
    limit=st.none() | st.integers(1, 3),
    valid_days=st.integers(1, 5),
    merchant=st.integers(0, MERCHANTS - 1),
)
volunteer_index = st.integers(0, VOLUNTEERS - 1)


class PassbookMachine(RuleBasedStateMachine):
    """One grid's life: scoring sheets, redemptions (and their retries), cancellations, the
    clock, the expiry sweep, scans at the counter and reversals, checked against
    :class:`Model` after every step."""

    harness: ClassVar[Harness]
    sheets = Bundle("sheets")
    redemptions = Bundle("redemptions")

    def __init__(self) -> None:
        super().__init__()
        self._model: Model | None = None
        self._world: World | None = None
        self.vouchers: list[IssuedVoucher] = []
        self.redemption_ids: list[int] = []
        self.sheet_ids: list[int] = []
        self.requests: list[RedeemRequest] = []
        self.attempts = itertools.count()
        self.touched = False
        """Whether the database was asked to change since the books were last compared."""

    # plumbing ------------------------------------------------------------------------------

    @property
    def model(self) -> Model:
        assert self._model is not None
        return self._model

    @property
    def world(self) -> World:
        assert self._world is not None
        return self._world

    def write(self, use_case: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """One use case, one transaction, as the API runs it."""
        self.touched = True
        return self.harness.runner.run(db.run_in_transaction(self.harness.engine, use_case))

    def read(self, query: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async def in_one_transaction() -> T:
            async with db.read_transaction(self.harness.engine) as conn:
                return await query(conn)

        return self.harness.runner.run(in_one_transaction())

    def refused(
        self, refusals: set[Refusal], use_case: Callable[[AsyncConnection], Awaitable[Any]]
    ) -> None:
        """The service must refuse for one of the reasons the model gives (it may pick any
        when several hold); the invariants then check that nothing changed."""
        expected = tuple(error for reason in refusals for error in ERROR_OF[reason])
        event("refused: " + " or ".join(sorted(r.value for r in refusals)))
        with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is checked exactly below
            self.write(use_case)
        assert type(raised.value) in expected, (
            f"expected one of {[e.__name__ for e in expected]} for {sorted(r.value for r in refusals)}, "
            f"got {type(raised.value).__name__}: {raised.value}"
        )

    # the world -----------------------------------------------------------------------------

    @initialize(
        points_per_unit=st.integers(1, 20),
        daily_cap=st.integers(2, 8),
        opening=st.lists(st.integers(0, 60), min_size=VOLUNTEERS, max_size=VOLUNTEERS),
        plans=st.lists(reward_plans, min_size=REWARDS, max_size=REWARDS),
    )
    def open_grid(
        self, points_per_unit: int, daily_cap: int, opening: list[int], plans: list[RewardPlan]
    ) -> None:
        """A street, a community and a grid with two council members, a savings rule, three
        volunteers with the points they brought from the paper passbooks, two merchants and
        three rewards."""
        n = next(self.harness.counter)
        day = self.harness.next_day
        now = opening_time(day)
        prefix = f"model-{n}"
        grid = f"{prefix}-grid"

        async def set_up(conn: AsyncConnection) -> World:
            await community.add_org_unit(conn, code=f"{prefix}-st", name="模型街道", kind="street")
            await community.add_org_unit(
                conn,
                code=f"{prefix}-co",
                name="模型社区",
                kind="community",
                parent_code=f"{prefix}-st",
            )
            unit = await community.add_org_unit(
                conn, code=grid, name="模型网格", kind="grid", parent_code=f"{prefix}-co"
            )
            assert unit.issuance_account_id is not None
            author, approver = [
                await community.add_council_member(
                    conn, code=f"{prefix}-{x}", name=f"理事 {x}", grid_code=grid, now=now
                )
                for x in "ab"
            ]
            volunteers = []
            for i in range(VOLUNTEERS):
                number = f"MODEL-{n}-{i}"
                await community.register_volunteer(
                    conn, passbook_number=number, name=f"志愿者 {i}", grid_code=grid, now=now
                )
                volunteer = await rewards.find_volunteer(conn, number)
                volunteers.append(volunteer)
                if opening[i]:
                    await ledger.post_entry(
                        conn,
                        idempotency_key=f"{prefix}:opening:{i}",
                        kind="opening",
                        legs=[
                            ledger.Leg(ledger.AccountId(unit.issuance_account_id), -opening[i]),
                            ledger.Leg(volunteer.account_id, opening[i]),
                        ],
                        actor=ACTOR,
                        memo="纸质存折结转 opening balance",
                        effective_date=day,
                        now=now,
                    )
            await council.add_rule(
                conn,
                code=f"{prefix}-visit",
                name="入户走访",
                category="care",
                points_per_unit=points_per_unit,
                unit="hour",
                daily_cap_units=daily_cap,
                valid_from=day - timedelta(days=30),
                valid_to=None,
                org_code=grid,
                actor=ACTOR,
            )
            merchants = [
                await rewards.add_merchant(
                    conn,
                    code=f"{prefix}-shop{i}",
                    name=f"小店 {i}",
                    org_unit_code=grid,
                    actor=ACTOR,
                    now=now,
                )
                for i in range(MERCHANTS)
            ]
            codes = []
            for i, plan in enumerate(plans):
                spec = rewards.RewardSpec(
                    code=f"{prefix}-r{i}",
                    name=f"奖品 {i}",
                    kind=rewards.RewardKind.GOODS,
                    cost_points=plan.cost,
                    merchant_code=merchants[plan.merchant].code,
                    org_unit_code=grid,
                    stock_total=plan.stock_total,
                    per_volunteer_limit=plan.limit,
                    limit_period=rewards.LimitPeriod.EVER,
                    voucher_valid_days=plan.valid_days,
                )
                codes.append((await rewards.add_reward(conn, spec, actor=ACTOR, now=now)).code)
            return World(
                prefix=prefix,
                rule=f"{prefix}-visit",
                author_id=author.id,
                approver_id=approver.id,
                volunteers=tuple(volunteers),
                merchants=tuple(merchants),
                reward_codes=tuple(codes),
                issuance_account=ledger.AccountId(unit.issuance_account_id),
            )

        self._world = self.write(set_up)
        self._model = Model(
            now=now,
            points_per_unit=points_per_unit,
            daily_cap=daily_cap,
            passbooks=[PassbookModel(posted=p, earned=p) for p in opening],
            issued_net=sum(opening),
            rewards=[
                RewardModel(p.cost, p.stock_total, p.limit, p.valid_days, p.merchant) for p in plans
            ],
            merchant_takings=[0] * MERCHANTS,
        )

    # scoring -------------------------------------------------------------------------------

    @rule(
        target=sheets,
        units=st.dictionaries(volunteer_index, st.integers(1, 3), min_size=1),
        days_ago=st.integers(0, 2),
    )
    def score(self, units: dict[int, int], days_ago: int) -> Any:
        """A council member drafts and submits a sheet, a colleague approves it."""
        world, now = self.world, self.model.now
        day = local_day(now) - timedelta(days=days_ago)
        lines = [
            council.LineIn(world.volunteers[v].passbook_number, n) for v, n in sorted(units.items())
        ]

        async def draft(conn: AsyncConnection) -> council.Sheet:
            return await council.draft_sheet(
                conn,
                member_id=world.author_id,
                rule_code=world.rule,
                activity_date=day,
                place="燕子山小区",
                note="",
                lines=lines,
                actor=f"council:{world.prefix}-a",
                max_age_days=30,
                now=now,
            )

        outcome = self.model.score(units, day)
        if isinstance(outcome, set):
            self.refused(outcome, draft)
            return multiple()
        event("scored")
        sheet_id = self.write(draft).id

        async def submit(conn: AsyncConnection) -> council.Sheet:
            return await council.submit_sheet(
                conn, sheet_id=sheet_id, member_id=world.author_id, now=now
            )

        async def approve(conn: AsyncConnection) -> council.Sheet:
            return await council.approve_sheet(
                conn,
                sheet_id=sheet_id,
                member_id=world.approver_id,
                actor=f"council:{world.prefix}-b",
                now=now,
            )

        self.write(submit)
        approved = self.write(approve)
        assert approved.status == "approved"
        assert approved.total_points == sum(self.model.sheets[outcome].points.values())
        self.sheet_ids.append(sheet_id)
        return outcome

    @rule(sheet=sheets)
    def reverse(self, sheet: int) -> None:
        """A council member proposes reversing a posted sheet whole (it was a mistake): alone
        they move nothing, not even by confirming it themself; the other member confirms it
        and the points go back. A confirmation that would take a passbook below zero is
        refused, and the proposal is withdrawn."""
        world, sheet_id, now = self.world, self.sheet_ids[sheet], self.model.now
        proposer = {
            "person": f"member:{world.approver_id}",
            "actor": f"council:{world.prefix}-b",
            "member_id": world.approver_id,
        }
        confirmer = {
            "person": f"member:{world.author_id}",
            "actor": f"council:{world.prefix}-a",
            "member_id": world.author_id,
        }

        async def propose(conn: AsyncConnection) -> council.Takeback:
            return await council.propose_takeback(
                conn, sheet_id=sheet_id, line_no=None, reason="记错了活动", now=now, **proposer
            )

        def confirm(takeback_id: int, who: dict[str, Any]) -> Any:
            async def use_case(conn: AsyncConnection) -> council.Takeback:
                return await council.confirm_takeback(conn, takeback_id=takeback_id, now=now, **who)

            return use_case

        refusals = self.model.reverse(sheet)
        if refusals == {Refusal.ALREADY_REVERSED}:
            self.refused(refusals, propose)
            return
        proposal = self.write(propose)
        assert proposal.status == "proposed"
        if refusals:
            self.refused(refusals, confirm(proposal.id, confirmer))

            async def withdraw(conn: AsyncConnection) -> council.Takeback:
                return await council.withdraw_takeback(
                    conn, takeback_id=proposal.id, now=now, **proposer
                )

            assert self.write(withdraw).status == "withdrawn"
            return
        with pytest.raises(council.FourEyes):
            self.write(confirm(proposal.id, proposer))
        event("reversed")
        done = self.write(confirm(proposal.id, confirmer))
        assert (done.status, done.entry_id is not None) == ("confirmed", True)

    # redemption ----------------------------------------------------------------------------

    @rule(
        target=redemptions,
        volunteer=volunteer_index,
        reward=st.integers(0, REWARDS - 1),
        quantity=st.integers(1, 3),
    )
    def redeem(self, volunteer: int, reward: int, quantity: int) -> Any:
        world = self.world
        request = RedeemRequest(
            key=f"{world.prefix}:redeem:{next(self.attempts)}",
            reward_code=world.reward_codes[reward],
            passbook_number=world.volunteers[volunteer].passbook_number,
            quantity=quantity,
        )
        outcome = self.model.redeem(volunteer, reward, quantity)
        if isinstance(outcome, set):
            self.refused(outcome, self.redemption_of(request))
            return multiple()
        event("redeemed")
        redemption = self.write(self.redemption_of(request))
        expected = [self.model.vouchers[i] for i in self.model.redemptions[outcome]]
        assert not redemption.replayed
        assert len(redemption.vouchers) == len(expected) == quantity
        for issued, model in zip(redemption.vouchers, expected, strict=True):
            assert issued.status is rewards.VoucherStatus.ISSUED
            assert (issued.points, issued.expires_at) == (model.points, model.expires_at)
            self.vouchers.append(IssuedVoucher(issued.id, issued.code, issued.hold_id))
        self.redemption_ids.append(redemption.id)
        self.requests.append(request)
        return outcome

    @rule(redemption=redemptions)
    def redeem_again(self, redemption: int) -> None:
        """The answer was lost and the volunteer's phone sends the same request with the same
        key: it gets the first redemption back as it stands now, and nothing more is taken."""
        event("redemption replayed")
        replay = self.write(self.redemption_of(self.requests[redemption]))
        expected = self.model.redemptions[redemption]
        assert replay.replayed
        assert [v.id for v in replay.vouchers] == [self.vouchers[i].id for i in expected]
        assert [v.status.value for v in replay.vouchers] == [
            self.model.vouchers[i].status.value for i in expected
        ]

    def redemption_of(
        self, request: RedeemRequest
    ) -> Callable[[AsyncConnection], Awaitable[rewards.Redemption]]:
        now = self.model.now

        async def redeem(conn: AsyncConnection) -> rewards.Redemption:
            return await rewards.redeem_reward(
                conn,
                reward_code=request.reward_code,
                passbook_number=request.passbook_number,
                quantity=request.quantity,
                idempotency_key=request.key,
                actor=f"volunteer:{request.passbook_number}",
                now=now,
            )

        return redeem

    def voucher_of(self, redemption: int, which: int) -> int:
        indices = self.model.redemptions[redemption]
        return indices[which % len(indices)]

    @rule(redemption=redemptions, which=st.integers(0, 2))
    def cancel_voucher(self, redemption: int, which: int) -> None:
        index, now = self.voucher_of(redemption, which), self.model.now
        voucher_id = self.vouchers[index].id

        async def cancel(conn: AsyncConnection) -> rewards.Voucher:
            return await rewards.cancel_voucher(
                conn, voucher_id=voucher_id, actor="volunteer", now=now
            )

        refusals = self.model.cancel(index)
        if refusals:
            self.refused(refusals, cancel)
            return
        event("voucher cancelled")
        assert self.write(cancel).status is rewards.VoucherStatus.CANCELLED

    @rule(redemption=redemptions)
    def cancel_redemption(self, redemption: int) -> None:
        redemption_id, now = self.redemption_ids[redemption], self.model.now

        async def cancel(conn: AsyncConnection) -> rewards.Redemption:
            return await rewards.cancel_redemption(
                conn, redemption_id=redemption_id, actor="volunteer", now=now
            )

        refusals = self.model.cancel_redemption(redemption)
        if refusals:
            self.refused(refusals, cancel)
            return
        event("redemption cancelled")
        self.write(cancel)

    # the clock and the expiry sweep ------------------------------------------------------

    @rule(minutes=st.sampled_from([1, 2, 3, 60, 12 * 60, 24 * 60]))
    def wait(self, minutes: int) -> None:
        self.model.now += timedelta(minutes=minutes)

    @rule(redemption=redemptions, which=st.integers(0, 2), seconds=st.integers(-1, 1))
    def wait_until_expiry(self, redemption: int, which: int, seconds: int) -> None:
        """Move the clock to a voucher's last second, its expiry or just after (never back)."""
        voucher = self.model.vouchers[self.voucher_of(redemption, which)]
        self.model.now = max(self.model.now, voucher.expires_at + timedelta(seconds=seconds))

    @precondition(lambda self: self._model is not None and self._model.vouchers)
    @rule()
    def sweep(self) -> None:
        expected = self.model.sweep()
        self.touched = True
        swept = self.harness.runner.run(
            rewards.expire_vouchers(self.harness.engine, now=self.model.now)
        )
        assert (swept.vouchers, swept.points) == (expected.vouchers, expected.points)
        event(f"swept {min(expected.vouchers, 3)}{'+' if expected.vouchers >= 3 else ''} vouchers")

    # the merchant's counter ----------------------------------------------------------------

    @rule(
        redemption=redemptions,
        which=st.integers(0, 2),
        elsewhere=st.sampled_from([False, False, False, False, True]),
        scanner=st.sampled_from(SCANNERS),
        key=st.sampled_from([None, "first", "first", "fresh"]),
    )
    def consume(
        self, redemption: int, which: int, elsewhere: bool, scanner: str, key: str | None
    ) -> None:
        """A merchant scans a voucher at the counter (or another merchant scans it), with the
        key its first scan of this voucher sent (a retry), a fresh key (a new scan) or none."""
        index, now = self.voucher_of(redemption, which), self.model.now
        own = self.model.rewards[self.model.vouchers[index].reward].merchant
        merchant = (own + 1) % MERCHANTS if elsewhere else own
        merchant_code, code = self.world.merchants[merchant].code, self.vouchers[index].code
        scanner = f"merchant:{merchant_code}:{scanner}"
        if key is not None:
            key = f"{scanner}:v{index}:{key}-{next(FRESH) if key == 'fresh' else 0}"

        async def consume(conn: AsyncConnection) -> rewards.Consumption:
            return await rewards.consume_voucher(
                conn,
                code=code,
                merchant_code=merchant_code,
                scanner=scanner,
                idempotency_key=key,
                now=now,
            )

        outcome = self.model.consume(index, merchant, scanner, key)
        if isinstance(outcome, set):
            self.refused(outcome, consume)
            return
        assert isinstance(outcome, Scan)
        event("scanned again" if outcome.replayed else "consumed")
        used = self.write(consume)
        assert used.replayed is outcome.replayed
        assert used.voucher.status is rewards.VoucherStatus.USED

    # what the database must agree with ---------------------------------------------------

    @invariant()
    def books_agree_with_the_model(self) -> None:
        # Only the clock moved since the last comparison: neither side can have changed.
        if self._model is None or not self.touched:
            return
        self.touched = False
        model, world = self.model, self.world

        async def look(conn: AsyncConnection) -> tuple[Any, ...]:
            accounts = [v.account_id for v in world.volunteers]
            accounts += [m.account_id for m in world.merchants] + [world.issuance_account]
            balances = await ledger.get_balances(conn, accounts)
            catalog = [await rewards.get_reward(conn, code) for code in world.reward_codes]
            statuses = {
                v.id: v.status
                for volunteer in world.volunteers
                for v in await rewards.vouchers_of(conn, volunteer_id=volunteer.id)
            }
            offers = [
                [
                    await rewards.offer(
                        conn, reward, volunteer, balances[volunteer.account_id], model.now
                    )
                    for volunteer in world.volunteers
                ]
                for reward in catalog
            ]
            return balances, catalog, statuses, offers

        balances, catalog, statuses, offers = self.read(look)
        for volunteer, passbook in zip(world.volunteers, model.passbooks, strict=True):
            found = balances[volunteer.account_id]
            assert (found.posted, found.held, found.lifetime_earned) == (
                passbook.posted,
                passbook.held,
                passbook.earned,
            ), f"passbook {volunteer.passbook_number}"
        for merchant, takings in zip(world.merchants, model.merchant_takings, strict=True):
            assert (balances[merchant.account_id].posted, balances[merchant.account_id].held) == (
                takings,
                0,
            ), f"merchant {merchant.code}"
        assert balances[world.issuance_account].posted == -model.issued_net
        for reward, expected in zip(catalog, model.rewards, strict=True):
            assert reward.stock_used == expected.stock_used, f"stock of {reward.code}"
        assert statuses == {
            issued.id: rewards.VoucherStatus(v.status.value)
            for issued, v in zip(self.vouchers, model.vouchers, strict=True)
        }
        for r, reward in enumerate(model.rewards):
            for v, passbook in enumerate(model.passbooks):
                seen = offers[r][v]
                limit_left = None if reward.limit is None else reward.limit - reward.limit_used[v]
                reasons = {
                    "sold_out": reward.stock_left() is not None and reward.stock_left() == 0,
                    "limit_reached": limit_left == 0,
                    "not_enough_points": passbook.available < reward.cost,
                }
                assert (seen.limit_left, seen.available_points) == (limit_left, passbook.available)
                assert {x.code for x in seen.reasons} == {c for c, on in reasons.items() if on}

    def teardown(self) -> None:
        """Sweep every voucher of this run out (so the next run starts clean) and, if the run
        passed so far, check that each hold closed as its voucher did and that the books
        verify. A run that already failed only cleans up: its own error is the report."""
        if self._model is None:
            return
        # Hypothesis calls teardown from a ``finally`` block: an error on its way out of a step
        # or an invariant is the exception being handled here.
        failing = sys.exc_info()[1] is not None
        model = self.model
        last = max([model.now, *(v.expires_at for v in model.vouchers)])
        model.now = last + timedelta(seconds=1)
        self.harness.next_day = local_day(model.now) + timedelta(days=1)
        if failing:
            with contextlib.suppress(Exception):
                self.harness.runner.run(rewards.expire_vouchers(self.harness.engine, now=model.now))
            return
        self.sweep()
        self.books_agree_with_the_model()
        assert all(passbook.held == 0 for passbook in model.passbooks)

        async def look(conn: AsyncConnection) -> tuple[list[ledger.HoldStatus], bool, str]:
            holds = [(await ledger.get_hold(conn, v.hold_id)).status for v in self.vouchers]
            report = await ledger.verify_books(conn)
            return holds, report.ok, "; ".join(map(str, report.problems[:5]))

        holds, ok, problems = self.read(look)
        assert holds == [HOLD_OF[v.status] for v in model.vouchers]
        assert ok, problems


def run_seed(request: pytest.FixtureRequest) -> int | str:
    """The seed of this run: ``--hypothesis-seed`` if given, else a fresh one. Hypothesis
    itself prints a seed only for unusual failures, so the test names it on every failure."""
    given: str | None = request.config.getoption("--hypothesis-seed")
    if given is None:
        return secrets.randbits(64)
    return int(given) if given.isdecimal() else given


def test_the_books_agree_with_the_model(database_url: str, request: pytest.FixtureRequest) -> None:
    chosen = run_seed(request)
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        engine = db.create_engine(database_url)
        try:
            harness = Harness(runner, engine, itertools.count())
            machine = type("PassbookModelTest", (PassbookMachine,), {"harness": harness})
            run_state_machine_as_test(seed(chosen)(machine), settings=SETTINGS)
        except BaseException as failure:
            failure.add_note(
                f"Reproduce this run with: pytest tests/model --hypothesis-seed={chosen}"
            )
            raise
        finally:
            runner.run(engine.dispose())
