"""Value types of ballots for scarce rewards."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import ledger


class BallotRule(enum.StrEnum):
    """How places are allocated; fixed when the ballot opens."""

    POINTS_RANK = "points_rank"
    """Most lifetime points (frozen at application) first; ties by the seeded lottery."""
    WEIGHTED_LOTTERY = "weighted_lottery"
    """A seeded lottery in which each applicant's chance is in proportion to their points."""


class BallotStatus(enum.StrEnum):
    OPEN = "open"
    """Created; applications are taken inside the window, then it waits for the draw."""
    DRAWN = "drawn"
    CANCELLED = "cancelled"


class ApplicationStatus(enum.StrEnum):
    APPLIED = "applied"
    """Waiting for the draw, the cost held."""
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    """The ballot was cancelled (or not drawn in time) before the draw."""
    WAITING = "waiting"
    """Drawn after the places: next in line if a place is passed on."""
    OFFERED = "offered"
    """Holds a place: a voucher, to be used at the merchant within the claim period."""
    CLAIMED = "claimed"
    """The place was taken up: the voucher was used."""
    DECLINED = "declined"
    LAPSED = "lapsed"
    """The voucher was not used within the claim period; the place went to the next."""
    SKIPPED = "skipped"
    """Its turn came, but it could not take the place (see the reason)."""


@dataclass(frozen=True, slots=True)
class BallotSpec:
    """What community staff fix when they open a ballot."""

    code: str
    reward_code: str
    rule: BallotRule
    places: int
    closes_at: datetime
    claim_days: int
    opens_at: datetime | None = None
    """Default: now."""


@dataclass(frozen=True, slots=True)
class Ballot:
    id: int
    code: str
    reward_id: int
    reward_code: str
    reward_name: str
    org_unit_path: str
    rule: BallotRule
    places: int
    opens_at: datetime
    closes_at: datetime
    draw_by: datetime
    claim_days: int
    commitment: str
    seed: str | None
    """Only once drawn; before the draw the seed is a secret and never leaves the database."""
    status: BallotStatus
    created_at: datetime
    created_by: str
    drawn_at: datetime | None
    drawn_by: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    applications: int
    """Applications in the draw (or waiting for it): neither withdrawn nor cancelled."""

    def accepts_applications(self, now: datetime) -> bool:
        return self.status is BallotStatus.OPEN and self.opens_at <= now < self.closes_at


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    ballot_id: int
    ballot_code: str
    volunteer_id: int
    passbook_number: str
    holder_name: str
    account_id: ledger.AccountId
    pseudonym: str
    points: int
    status: ApplicationStatus
    hold_id: ledger.HoldId | None
    voucher_id: int | None
    draw_rank: int | None
    lottery_key: str | None
    score: str | None
    reason: str | None
    actor: str
    applied_at: datetime
    offered_at: datetime | None
    closed_at: datetime | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class BallotSweep:
    """What a pass over the ballots did: offers that lapsed, places passed on or left
    unfilled, undrawn ballots cancelled."""

    offers_lapsed: int = 0
    points_back: int = 0
    places_passed: int = 0
    ballots_cancelled: int = 0
