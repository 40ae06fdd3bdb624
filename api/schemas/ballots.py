"""What the ballot endpoints take and give. Requests refuse unknown fields. The public view
carries pseudonyms only: no names, no passbook numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas import Strict, WholeNumber
from api.schemas.rewards import CODE_PATTERN, RewardRef, VoucherOut

Rule = Literal["points_rank", "weighted_lottery"]
ApplicationState = Literal[
    "applied",
    "withdrawn",
    "cancelled",
    "waiting",
    "offered",
    "claimed",
    "declined",
    "lapsed",
    "skipped",
]


class BallotIn(Strict):
    code: str = Field(pattern=CODE_PATTERN, description="e.g. kindergarten-2027-spring")
    reward: str = Field(description="the code of a reward allocated by ballot")
    rule: Rule = Field(
        description="points_rank: most lifetime points (frozen at application) first, ties by "
        "the seeded lottery; weighted_lottery: a seeded lottery weighted by those points"
    )
    places: WholeNumber = Field(ge=1, le=10_000, description="at most the reward's stock left")
    opens_at: AwareDatetime | None = Field(default=None, description="default: now")
    closes_at: AwareDatetime
    claim_days: WholeNumber = Field(
        ge=1,
        le=90,
        description="a winner's voucher must be used at the merchant within this many days "
        "(counting the day of the offer), or the place goes to the next in drawn order",
    )


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=200)


class ApplyIn(Strict):
    passbook: str | None = Field(
        default=None, description="whose application; a volunteer's token defaults to their own"
    )


class BallotOut(BaseModel):
    code: str
    reward: RewardRef
    rule: Rule
    places: int
    opens_at: datetime
    closes_at: datetime
    draw_by: datetime = Field(description="the draw must be made before this, or it is cancelled")
    claim_days: int
    status: Literal["open", "drawn", "cancelled"]
    accepting_applications: bool
    commitment: str = Field(description="sha256 of the secret seed's 32 bytes, hex")
    seed: str | None = Field(description="the seed (64 hex digits); only after the draw")
    applications: int
    created_at: datetime
    drawn_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    verification: str = Field(description="the public page that lets anyone check the draw")


class ApplicationOut(BaseModel):
    ballot: str
    passbook: str
    holder: str
    pseudonym: str = Field(
        description="the applicant's ballot ticket: 12 random characters handed out at "
        "application, how this application (and its result) appears in the public list; "
        "not derived from the passbook number, so only the applicant and staff know it"
    )
    points: int = Field(description="lifetime points earned when applying: what the rule uses")
    status: ApplicationState
    reason: str | None
    draw_rank: int | None
    lottery_key: str | None
    score: str | None
    voucher: VoucherOut | None = Field(description="the place, while offered or once claimed")
    applied_at: datetime
    recorded_by: str
    offered_at: datetime | None
    closed_at: datetime | None
    replayed: bool = False


class ApplicationList(BaseModel):
    ballot: str
    applications: list[ApplicationOut]


class PublicApplicant(BaseModel):
    pseudonym: str = Field(description="the application's random ticket (its holder knows it)")
    points: int
    rank: int | None = Field(description="place in the drawn order; none before the draw")
    lottery_key: str | None = Field(description="sha256(seed_hex + ':' + pseudonym), hex")
    score: str | None = Field(description="weighted_lottery only: the exponential clock")
    status: ApplicationState


class Pass(BaseModel):
    pseudonym: str
    outcome: Literal["declined", "lapsed", "skipped"]
    reason: str | None
    at: datetime | None


class BallotResult(BaseModel):
    winners: list[str] = Field(description="pseudonyms holding (offered) or having taken a place")
    waiting: list[str] = Field(description="next in line, in drawn order")
    passes: list[Pass] = Field(description="places given up or skipped, oldest first")


class PublicBallot(BaseModel):
    code: str
    reward: RewardRef
    rule: Rule
    places: int
    opens_at: datetime
    closes_at: datetime
    status: Literal["open", "drawn", "cancelled"]
    commitment: str
    seed: str | None
    drawn_at: datetime | None
    algorithm: str
    applicants: list[PublicApplicant]
    result: BallotResult | None = Field(description="none before the draw")
