"""Ballots for scarce rewards: open, apply, withdraw, draw, decline, and the public page that
lets anyone check a draw (no token needed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

import db
import rewards
from access import Principal, Role
from api.auth import roles
from api.routes._common import IdempotencyKeyHeader, client_key
from api.routes.rewards import voucher_out
from api.schemas import ballots as schemas
from api.schemas.rewards import RewardRef
from rewards import services
from scheme_time import utcnow

__all__ = ["ALGORITHM", "PUBLIC_PATH", "ROUTES", "BallotController", "public_ballot"]

PUBLIC_PATH = "/api/public/ballots"

ALGORITHM = (
    "commitment = sha256(bytes.fromhex(seed)).hexdigest(); "
    "pseudonym = the applicant's ticket as listed (12 random characters handed out at "
    "application, not derived from the passbook number); "
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


def application_out(view: services.ApplicationView) -> schemas.ApplicationOut:
    found, voucher = view.application, view.voucher
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
        voucher=voucher_out(voucher, view.as_of) if voucher is not None else None,
        applied_at=found.applied_at,
        recorded_by=found.actor,
        offered_at=found.offered_at,
        closed_at=found.closed_at,
        replayed=found.replayed,
    )


def record_out(record: services.BallotRecord) -> schemas.PublicBallot:
    """The public page: pseudonyms only, and everything needed to recompute the draw."""
    found, result = record.ballot, record.result
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
                rank=a.rank,
                lottery_key=a.lottery_key,
                score=a.score,
                status=a.status.value,
            )
            for a in record.applicants
        ],
        result=None
        if result is None
        else schemas.BallotResult(
            winners=result.winners,
            waiting=result.waiting,
            passes=[
                schemas.Pass(
                    pseudonym=p.pseudonym, outcome=p.outcome.value, reason=p.reason, at=p.at
                )
                for p in result.passes
            ],
        ),
    )


class BallotController(Controller):
    path = "/api/ballots"
    tags = ["rewards: ballots"]

    @get("/", summary="Ballots, newest first (all public facts; never a seed before its draw)")
    async def list_all(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        reward: str | None = Parameter(default=None, max_length=40),
    ) -> list[schemas.BallotOut]:
        found = await tx.read(services.list_ballots, principal, reward_code=reward)
        now = utcnow()
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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> Response[schemas.BallotOut]:
        found, created = await tx.write(
            services.open_ballot,
            principal,
            code=data.code,
            reward_code=data.reward,
            rule=rewards.BallotRule(data.rule),
            places=data.places,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            claim_days=data.claim_days,
        )
        return Response(ballot_out(found, utcnow()), status_code=201 if created else 200)

    @get("/{code:str}", summary="One ballot")
    async def read(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.BallotOut:
        return ballot_out(await tx.read(services.see_ballot, principal, code=code), utcnow())

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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        idempotency_header: IdempotencyKeyHeader = None,
    ) -> schemas.ApplicationOut:
        key = client_key(principal, idempotency_header)
        view = await tx.write(
            services.apply_to_ballot,
            principal,
            code=code,
            passbook=data.passbook,
            idempotency_key=key,
            now=utcnow(),
        )
        return application_out(view)

    @get(
        "/{code:str}/applications",
        guards=[roles(Role.ADMIN)],
        summary="Every application, with names (staff only); in drawn order once drawn",
    )
    async def applications(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.ApplicationList:
        shown = await tx.read(services.list_applications, principal, code=code)
        return schemas.ApplicationList(
            ballot=code, applications=[application_out(v) for v in shown]
        )

    @get(
        "/{code:str}/applications/{number:str}",
        summary="A passbook's application (the holder, or an admin acting for them)",
    )
    async def application(
        self,
        code: FromPath[str],
        number: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.ApplicationOut:
        view = await tx.read(services.see_application, principal, code=code, passbook=number)
        return application_out(view)

    @post(
        "/{code:str}/applications/{number:str}/withdraw",
        summary="Withdraw before the window closes: the hold is released",
        status_code=200,
    )
    async def withdraw(
        self,
        code: FromPath[str],
        number: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.ApplicationOut:
        view = await tx.write(
            services.withdraw_application, principal, code=code, passbook=number, now=utcnow()
        )
        return application_out(view)

    @post(
        "/{code:str}/applications/{number:str}/decline",
        summary="A winner gives up the place: it goes to the next in drawn order",
        status_code=200,
    )
    async def decline(
        self,
        code: FromPath[str],
        number: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.ApplicationOut:
        view = await tx.write(
            services.decline_place, principal, code=code, passbook=number, now=utcnow()
        )
        return application_out(view)

    @post(
        "/{code:str}/draw",
        guards=[roles(Role.ADMIN)],
        summary="Draw (once, after the window closes): reveal the seed, offer the places",
        status_code=200,
    )
    async def draw(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.PublicBallot:
        return record_out(await tx.write(services.draw_ballot, principal, code=code))

    @post(
        "/{code:str}/process",
        guards=[roles(Role.ADMIN)],
        summary="Pass on places not claimed in time now (the expiry sweep does it too)",
        status_code=200,
    )
    async def process(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.PublicBallot:
        return record_out(await tx.write(services.process_ballot, principal, code=code))

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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.BallotOut:
        found = await tx.write(services.cancel_ballot, principal, code=code, reason=data.reason)
        return ballot_out(found, utcnow())


@get(
    f"{PUBLIC_PATH}/{{code:str}}",
    exclude_from_auth=True,
    security=[{}],
    tags=["rewards: ballots"],
    summary="Check a ballot (no token): commitment, seed after the draw, the ordered list, "
    "the result",
    description="Pseudonyms only. Anyone can recompute the draw from this page: see "
    "'algorithm' and docs/ballots.md.",
)
async def public_ballot(
    code: FromPath[str], tx: NamedDependency[db.Transactions]
) -> schemas.PublicBallot:
    return record_out(await tx.read(services.public_ballot, code=code))


ROUTES: list[Any] = [BallotController, public_ballot]
