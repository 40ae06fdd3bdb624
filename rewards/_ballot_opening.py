"""Opening a ballot for a scarce reward: the terms fixed and a secret seed committed to.

Invariants protected here: the seed is drawn from ``secrets`` when the ballot opens and only
its SHA-256 (the commitment) is shown until the draw; the rule, the places (at most the
reward's stock left), the window and the claim period are fixed then too, and opening the same
ballot again returns it unchanged; a reward has at most one ballot that is not drawn (checked
here, and by a partial UNIQUE index under concurrent opens).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from db import constraint_name, metadata
from i18n import _
from rewards._ballot_draw import commitment_of, new_seed
from rewards._ballot_errors import (
    AnotherBallotOpen,
    ApplicationRace,
    BallotExists,
    InvalidBallot,
)
from rewards._ballot_reading import ballot_by_id, find_ballot
from rewards._ballot_types import (
    Ballot,
    BallotRule,
    BallotSpec,
    BallotStatus,
)
from rewards._catalog import get_reward
from rewards._tables import ballot
from rewards._time import utcnow
from rewards._types import Allocation, Reward

DRAW_WITHIN = timedelta(days=14)
"""How long after the window closes the draw may be made; the applications' holds last that
long, and a ballot not drawn by then is cancelled and every hold released."""
MAX_WINDOW = timedelta(days=366)
MAX_CLAIM_DAYS = 90


async def open_ballot(
    conn: AsyncConnection, spec: BallotSpec, *, actor: str, now: datetime | None = None
) -> tuple[Ballot, bool]:
    """Open a ballot for a reward allocated by ballot: a fresh secret seed and its published
    commitment. Opening the same ballot (code and terms) again returns it; the flag says
    whether it was made now."""
    now = now or utcnow()
    if not community.is_code(spec.code):
        raise InvalidBallot(
            _(
                "Ballot code {spec_code!r} must be 1-40 lower-case letters, digits or dashes.",
                spec_code=spec.code,
            )
        )
    reward_ = await get_reward(conn, spec.reward_code)
    opens_at = spec.opens_at or now
    if (existing := await find_ballot(conn, spec.code)) is not None:
        same = (
            existing.reward_id == reward_.id
            and existing.rule is spec.rule
            and existing.places == spec.places
            and existing.closes_at == spec.closes_at
            and existing.claim_days == spec.claim_days
            and (spec.opens_at is None or existing.opens_at == spec.opens_at)
        )
        if not same:
            raise BallotExists(
                _(
                    "Ballot {spec_code!r} already exists with other terms; choose another code.",
                    spec_code=spec.code,
                )
            )
        return existing, False
    _check_terms(spec, reward_, opens_at, now)
    if await conn.scalar(
        select(ballot.c.code).where(
            ballot.c.reward_id == reward_.id, ballot.c.status == BallotStatus.OPEN
        )
    ):
        raise AnotherBallotOpen(
            _(
                "{reward_name} already has a ballot that has not been drawn; draw or "
                "cancel it before opening another.",
                reward_name=reward_.name,
            )
        )
    seed = new_seed()
    try:
        ballot_id = await conn.scalar(
            ballot.insert()
            .values(
                code=spec.code,
                reward_id=reward_.id,
                rule=spec.rule,
                places=spec.places,
                opens_at=opens_at,
                closes_at=spec.closes_at,
                draw_by=spec.closes_at + DRAW_WITHIN,
                claim_days=spec.claim_days,
                seed=seed,
                commitment=commitment_of(seed),
                status=BallotStatus.OPEN,
                created_at=now,
                created_by=actor,
            )
            .returning(ballot.c.id)
        )
    except IntegrityError as error:
        name = constraint_name(error, metadata)
        if name == "uq_ballot_code":
            raise ApplicationRace(spec.code) from error  # a retry finds the committed one
        if name == "uq_ballot_one_open_per_reward":
            raise AnotherBallotOpen(
                _(
                    "{reward_name} already has a ballot that has not been drawn.",
                    reward_name=reward_.name,
                )
            ) from error
        raise
    assert ballot_id is not None
    return await ballot_by_id(conn, int(ballot_id)), True


def _check_terms(spec: BallotSpec, reward_: Reward, opens_at: datetime, now: datetime) -> None:
    if reward_.allocation is not Allocation.BALLOT:
        raise InvalidBallot(
            _(
                "{reward_name} is redeemed first come first served (allocation "
                "'instant'); only a reward allocated by ballot can have a ballot.",
                reward_name=reward_.name,
            )
        )
    if not reward_.active:
        raise InvalidBallot(
            _("{reward_name} has been withdrawn from the catalog.", reward_name=reward_.name)
        )
    if not isinstance(spec.rule, BallotRule):
        raise InvalidBallot(_("The rule is 'points_rank' or 'weighted_lottery'."))
    if not isinstance(spec.places, int) or isinstance(spec.places, bool) or spec.places < 1:
        raise InvalidBallot(
            _("A ballot allocates at least one place; got {places!r}.", places=spec.places)
        )
    if reward_.stock_total is None:
        raise InvalidBallot(
            _(
                "{reward_name} has no stock total; set how many places there are (its "
                "stock) before opening a ballot for them.",
                reward_name=reward_.name,
            )
        )
    left = reward_.stock_left or 0
    if spec.places > left:
        raise InvalidBallot(
            _(
                "{reward_name} has {left} places left in stock; a ballot cannot allocate {places}.",
                reward_name=reward_.name,
                left=left,
                places=spec.places,
            ),
            stock_left=left,
        )
    if not 1 <= spec.claim_days <= min(MAX_CLAIM_DAYS, reward_.voucher_valid_days):
        raise InvalidBallot(
            _(
                "The claim period is 1 to {max_claim_days} days (at most the voucher "
                "validity of {reward_name}); got {claim_days}.",
                max_claim_days=min(MAX_CLAIM_DAYS, reward_.voucher_valid_days),
                reward_name=reward_.name,
                claim_days=spec.claim_days,
            ),
        )
    if not opens_at < spec.closes_at:
        raise InvalidBallot(_("Applications must open before they close."))
    if spec.closes_at <= now:
        raise InvalidBallot(_("The application window must close in the future."))
    if spec.closes_at - opens_at > MAX_WINDOW:
        raise InvalidBallot(_("An application window lasts at most a year."))
