"""Ballots for scarce rewards: open, apply, withdraw, draw, decline, and the public page that
lets anyone check a draw (no token needed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import rewards
from access import Principal, Role, may_act_for
from api.auth import roles
from api.routes._common import IdempotencyKeyHeader, idempotency_key
from api.routes.rewards import _acting_for, _now, voucher_out
from api.schemas import ballots as schemas
from api.schemas.rewards import RewardRef

PUBLIC_PATH = "/api/public/ballots"

ALGORITHM = (
    "commitment = sha256(bytes.fromhex(seed)).hexdigest(); "
    "pseudonym = sha256(f'{ballot_code}:{passbook_number}'.encode()).hexdigest()[:12]; "
    "key = sha256(f'{seed}:{pseudonym}'.encode()).hexdigest(), k = int(key, 16); "
    "points_rank: sort ascending by (-points, k); "
    "weighted_lottery: ctx = decimal.Context(prec=60, rounding=ROUND_HALF_EVEN), "
    "u = ctx.divide(Decimal(k + 1), Decimal(2**256)), "
    "score = ctx.divide(ctx.minus(ctx.ln(u)), Decimal(points)), sort ascending by (score, k); "
    "the first `places` are offered a place, the rest wait in that order."
)


def ballot_out(found: rewards.Ballot, now: datetime) -> schemas.BallotOut:
    return schemas.BallotOut(
        code=found.code,
        reward=RewardRef(code=found.reward_code, name=found.reward_name),
        rule=found.rule.value,
        places=found.places,
        opens_at=found.opens_at,
        closes_at=found.closes_at,
        draw_by=found.draw_by,
        claim_days=found.claim_days,
        status=found.status.value,
        accepting_applications=found.accepts_applications(now),
        commitment=found.commitment,
        seed=found.seed,
        applications=found.applications,
        created_at=found.created_at,
        drawn_at=found.drawn_at,
        cancelled_at=found.cancelled_at,
        cancel_reason=found.cancel_reason,
        verification=f"{PUBLIC_PATH}/{found.code}",
    )


def application_out(
    found: rewards.Application, voucher: rewards.Voucher | None, now: datetime
) -> schemas.ApplicationOut:
    return schemas.ApplicationOut(
        ballot=found.ballot_code,
        passbook=found.passbook_number,
        holder=found.holder_name,
        pseudonym=found.pseudonym,
        points=found.points,
        status=found.status.value,
        reason=found.reason,
        draw_rank=found.draw_rank,
        lottery_key=found.lottery_key,
        score=found.score,
        voucher=voucher_out(voucher, now) if voucher is not None else None,
        applied_at=found.applied_at,
        recorded_by=found.actor,
        offered_at=found.offered_at,
        closed_at=found.closed_at,
        replayed=found.replayed,
    )


async def _application_view(
    conn: AsyncConnection, found: rewards.Application, now: datetime
) -> schemas.ApplicationOut:
    voucher = (
        await rewards.get_voucher(conn, found.voucher_id) if found.voucher_id is not None else None
    )
    return application_out(found, voucher, now)


_PASSES = {
    rewards.ApplicationStatus.DECLINED: "declined",
    rewards.ApplicationStatus.LAPSED: "lapsed",
    rewards.ApplicationStatus.SKIPPED: "skipped",
}
_WINNERS = (rewards.ApplicationStatus.OFFERED, rewards.ApplicationStatus.CLAIMED)


async def public_view(conn: AsyncConnection, code: str) -> schemas.PublicBallot:
    found = await rewards.get_ballot(conn, code)
    listed = [
        a
        for a in await rewards.applications_of(conn, found.id)
        if a.status is not rewards.ApplicationStatus.WITHDRAWN
    ]
    drawn = found.status is rewards.BallotStatus.DRAWN
    if not drawn:
        listed.sort(key=lambda a: a.pseudonym)
    result = None
    if drawn:
        passes = sorted(
            (a for a in listed if a.status in _PASSES),
            key=lambda a: (a.closed_at or found.created_at, a.draw_rank or 0),
        )
        result = schemas.BallotResult(
            winners=[a.pseudonym for a in listed if a.status in _WINNERS],
            waiting=[a.pseudonym for a in listed if a.status is rewards.ApplicationStatus.WAITING],
            passes=[
                schemas.Pass(
                    pseudonym=a.pseudonym,
                    outcome=_PASSES[a.status],
                    reason=a.reason,
                    at=a.closed_at,
                )
                for a in passes
            ],
        )
    return schemas.PublicBallot(
        code=found.code,
        reward=RewardRef(code=found.reward_code, name=found.reward_name),
        rule=found.rule.value,
        places=found.places,
        opens_at=found.opens_at,
        closes_at=found.closes_at,
        status=found.status.value,
        commitment=found.commitment,
        seed=found.seed,
        drawn_at=found.drawn_at,
        algorithm=ALGORITHM,
        applicants=[
            schemas.PublicApplicant(
                pseudonym=a.pseudonym,
                points=a.points,
                rank=a.draw_rank,
                lottery_key=a.lottery_key,
                score=a.score,
                status=a.status.value,
            )
            for a in listed
        ],
        result=result,
    )


def _admin_over(principal: Principal, found: rewards.Ballot) -> None:
    if not community.within(found.org_unit_path, principal.scope):
        raise PermissionDeniedException(
            f"Ballot {found.code} is for {found.org_unit_path}, outside this admin token's "
            f"scope ({principal.scope})."
        )


async def _own_application(
    conn: AsyncConnection, principal: Principal, code: str, number: str
) -> rewards.Application:
    await rewards.get_ballot(conn, code)
    passbook = await _acting_for(conn, principal, number)
    return await rewards.find_application(conn, code, passbook.number)


class BallotController(Controller):
    path = "/api/ballots"
    tags = ["rewards: ballots"]

    @get("/", summary="Ballots, newest first (all public facts; never a seed before its draw)")
    async def list_all(
        self,
        engine: NamedDependency[AsyncEngine],
        reward: str | None = Parameter(default=None, max_length=40),
    ) -> list[schemas.BallotOut]:
        async with db.read_transaction(engine) as conn:
            found = await rewards.list_ballots(conn, reward_code=reward)
        now = _now()
        return [ballot_out(b, now) for b in found]

    @post(
        "/",
        guards=[roles(Role.ADMIN)],
        summary="Open a ballot: window, places, rule, claim period; publishes the commitment",
        description="The service draws a secret 32-byte seed and publishes its SHA-256 "
        "(commitment) now; the seed itself is shown only after the draw. 201, or 200 when the "
        "same ballot (code and terms) is opened again.",
        status_code=201,
    )
    async def open(
        self,
        data: JSONBody[schemas.BallotIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> Response[schemas.BallotOut]:
        principal = request.user
        spec = rewards.BallotSpec(
            code=data.code,
            reward_code=data.reward,
            rule=rewards.BallotRule(data.rule),
            places=data.places,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            claim_days=data.claim_days,
        )

        async def use_case(conn: AsyncConnection) -> tuple[rewards.Ballot, bool]:
            reward = await rewards.get_reward(conn, data.reward)
            if not community.within(reward.org_unit_path, principal.scope):
                raise PermissionDeniedException(
                    f"Reward {reward.code} is for {reward.org_unit_path}, outside this admin "
                    f"token's scope ({principal.scope})."
                )
            return await rewards.open_ballot(conn, spec, actor=principal.actor)

        found, created = await db.run_in_transaction(engine, use_case)
        return Response(ballot_out(found, _now()), status_code=201 if created else 200)

    @get("/{code:str}", summary="One ballot")
    async def read(
        self, code: FromPath[str], engine: NamedDependency[AsyncEngine]
    ) -> schemas.BallotOut:
        async with db.read_transaction(engine) as conn:
            found = await rewards.get_ballot(conn, code)
        return ballot_out(found, _now())

    @post(
        "/{code:str}/applications",
        summary="Apply for a place: eligibility checked, the cost held until the draw "
        "(needs an Idempotency-Key)",
        status_code=201,
    )
    async def apply(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.ApplyIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        idempotency_header: IdempotencyKeyHeader = None,
    ) -> schemas.ApplicationOut:
        principal = request.user
        key = idempotency_key(request)
        now = _now()

        async def use_case(conn: AsyncConnection) -> schemas.ApplicationOut:
            await rewards.get_ballot(conn, code)
            passbook = await _acting_for(conn, principal, data.passbook)
            found = await rewards.apply_to_ballot(
                conn,
                ballot_code=code,
                passbook_number=passbook.number,
                idempotency_key=key,
                actor=principal.actor,
                now=now,
            )
            return await _application_view(conn, found, now)

        return await db.run_in_transaction(engine, use_case)

    @get(
        "/{code:str}/applications",
        guards=[roles(Role.ADMIN)],
        summary="Every application, with names (staff only); in drawn order once drawn",
    )
    async def applications(
        self,
        code: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.ApplicationList:
        now = _now()
        async with db.read_transaction(engine) as conn:
            found = await rewards.get_ballot(conn, code)
            _admin_over(request.user, found)
            listed = await rewards.applications_of(conn, found.id)
            shown = [
                await _application_view(conn, a, now)
                for a in listed
                if may_act_for(request.user, await _passbook_of(conn, a))
            ]
        return schemas.ApplicationList(ballot=code, applications=shown)

    @get(
        "/{code:str}/applications/{number:str}",
        summary="A passbook's application (the holder, or an admin acting for them)",
    )
    async def application(
        self,
        code: FromPath[str],
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.ApplicationOut:
        now = _now()
        async with db.read_transaction(engine) as conn:
            found = await _own_application(conn, request.user, code, number)
            return await _application_view(conn, found, now)

    @post(
        "/{code:str}/applications/{number:str}/withdraw",
        summary="Withdraw before the window closes: the hold is released",
        status_code=200,
    )
    async def withdraw(
        self,
        code: FromPath[str],
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.ApplicationOut:
        principal = request.user
        now = _now()

        async def use_case(conn: AsyncConnection) -> schemas.ApplicationOut:
            found = await _own_application(conn, principal, code, number)
            done = await rewards.withdraw_application(
                conn,
                ballot_code=code,
                passbook_number=found.passbook_number,
                actor=principal.actor,
                now=now,
            )
            return await _application_view(conn, done, now)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{code:str}/applications/{number:str}/decline",
        summary="A winner gives up the place: it goes to the next in drawn order",
        status_code=200,
    )
    async def decline(
        self,
        code: FromPath[str],
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.ApplicationOut:
        principal = request.user
        now = _now()

        async def use_case(conn: AsyncConnection) -> schemas.ApplicationOut:
            found = await _own_application(conn, principal, code, number)
            done = await rewards.decline_place(
                conn,
                ballot_code=code,
                passbook_number=found.passbook_number,
                actor=principal.actor,
                now=now,
            )
            return await _application_view(conn, done, now)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{code:str}/draw",
        guards=[roles(Role.ADMIN)],
        summary="Draw (once, after the window closes): reveal the seed, offer the places",
        status_code=200,
    )
    async def draw(
        self,
        code: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.PublicBallot:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> schemas.PublicBallot:
            _admin_over(principal, await rewards.get_ballot(conn, code))
            await rewards.draw_ballot(conn, ballot_code=code, actor=principal.actor, now=_now())
            return await public_view(conn, code)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{code:str}/process",
        guards=[roles(Role.ADMIN)],
        summary="Pass on places not claimed in time now (the expiry sweep does it too)",
        status_code=200,
    )
    async def process(
        self,
        code: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.PublicBallot:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> schemas.PublicBallot:
            _admin_over(principal, await rewards.get_ballot(conn, code))
            await rewards.process_ballot(conn, code, now=_now(), actor=principal.actor)
            return await public_view(conn, code)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{code:str}/cancel",
        guards=[roles(Role.ADMIN)],
        summary="Cancel a ballot before its draw: every hold is released",
        status_code=200,
    )
    async def cancel(
        self,
        code: FromPath[str],
        data: JSONBody[schemas.CancelIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.BallotOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> rewards.Ballot:
            _admin_over(principal, await rewards.get_ballot(conn, code))
            return await rewards.cancel_ballot(
                conn, ballot_code=code, actor=principal.actor, reason=data.reason, now=_now()
            )

        found = await db.run_in_transaction(engine, use_case)
        return ballot_out(found, _now())


async def _passbook_of(conn: AsyncConnection, found: rewards.Application) -> community.Passbook:
    passbook = await community.find_passbook(conn, found.passbook_number)
    assert passbook is not None
    return passbook


@get(
    f"{PUBLIC_PATH}/{{code:str}}",
    exclude_from_auth=True,
    security=[{}],
    tags=["rewards: ballots"],
    summary="Check a ballot (no token): commitment, seed after the draw, the ordered list, "
    "the result",
    description="Pseudonyms only. Anyone can recompute the draw from this page: see "
    "'algorithm' and the README.",
)
async def public_ballot(
    code: FromPath[str], engine: NamedDependency[AsyncEngine]
) -> schemas.PublicBallot:
    async with db.read_transaction(engine) as conn:
        return await public_view(conn, code)


ROUTES: list[Any] = [BallotController, public_ballot]
