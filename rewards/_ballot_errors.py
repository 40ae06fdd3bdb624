"""Errors of ballots, in the rewards error tree (see :mod:`rewards.errors`)::

RewardsError
├── BallotNotFound, ApplicationNotFound                      (not_found)
├── InvalidBallot        a ballot that cannot be opened as given (invalid)
├── BallotExists         the code is taken by another ballot  (conflict)
├── AnotherBallotOpen    the reward already has an undrawn ballot (conflict)
├── BallotNotOpen                                            (conflict)
│   ├── BallotNotOpenYet     before the window
│   ├── BallotClosed         after the window (or drawn)
│   └── BallotCancelled
├── BallotNotDrawable                                        (conflict)
│   ├── BallotStillOpen      the window has not closed
│   ├── BallotAlreadyDrawn   it was drawn (once is all)
│   └── BallotPastDrawDeadline
├── AlreadyApplied       one application per volunteer per ballot (conflict)
├── NoPlaceOffered       declining without a place to decline (conflict)
└── ApplicationKeyReused an Idempotency-Key sent before with another request (conflict)
"""

from __future__ import annotations

from db import Category
from i18n import _
from rewards.errors import RedemptionRace, RewardsError


class BallotNotFound(RewardsError):
    code = "ballot_not_found"
    category = Category.NOT_FOUND


class ApplicationNotFound(RewardsError):
    code = "application_not_found"
    category = Category.NOT_FOUND


class InvalidBallot(RewardsError):
    code = "invalid_ballot"


class BallotExists(RewardsError):
    code = "ballot_exists"
    category = Category.CONFLICT


class AnotherBallotOpen(RewardsError):
    code = "another_ballot_open"
    category = Category.CONFLICT


class BallotNotOpen(RewardsError):
    code = "ballot_not_open"
    category = Category.CONFLICT


class BallotNotOpenYet(BallotNotOpen):
    code = "ballot_not_open_yet"


class BallotClosed(BallotNotOpen):
    code = "ballot_closed"


class BallotCancelled(BallotNotOpen):
    code = "ballot_cancelled"


class BallotNotDrawable(RewardsError):
    code = "ballot_not_drawable"
    category = Category.CONFLICT


class BallotStillOpen(BallotNotDrawable):
    code = "ballot_still_open"


class BallotAlreadyDrawn(BallotNotDrawable):
    code = "ballot_already_drawn"


class BallotPastDrawDeadline(BallotNotDrawable):
    code = "ballot_past_draw_deadline"


class AlreadyApplied(RewardsError):
    code = "already_applied"
    category = Category.CONFLICT


class NoPlaceOffered(RewardsError):
    code = "no_place_offered"
    category = Category.CONFLICT


class ApplicationKeyReused(RewardsError):
    code = "idempotency_conflict"
    category = Category.CONFLICT

    def __init__(self) -> None:
        super().__init__(
            _(
                "This Idempotency-Key was already used for a different application. Use "
                "a new key for a new request; repeat a key only to retry exactly the "
                "same request."
            )
        )


class ApplicationRace(RedemptionRace):
    """A concurrent application by the same volunteer (or with the same key) committed first.
    The transaction runner retries it, and the retry replays it or refuses it."""
