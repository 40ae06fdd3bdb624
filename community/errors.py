"""The registry's errors, its branch of the one error tree (:class:`db.DomainError`).

Each has a ``category`` the API maps to a status, a stable ``code`` and optional ``figures``::

    RegistryError                       invalid
    ├── OrgUnitNotFound                 not_found
    ├── PassbookNotFound                not_found
    ├── CouncilMemberNotFound           not_found
    ├── InvalidPerson                   invalid   (a name, phone or passbook number)
    │   ├── VolunteerMoveRefused        invalid   (to the same grid, or to a non-grid)
    │   ├── InvalidPin                  invalid   (not 4-6 digits)
    │   └── WeakPin                     invalid   (same digits, straight runs, repeats)
    ├── RegistrationConflict            conflict  (the number or code says something else)
    ├── OrgUnitConflict                 conflict  (the code is taken: another kind or parent)
    ├── OrgUnitClosed                   conflict  (a closed unit takes nothing new)
    ├── PassbookNumberLookalike         conflict  (differs from a registered one by O/0, I/1)
    ├── RosterRejected                  invalid   (figures: problems, by row and column)
    ├── CouncilMemberSteppedDown        conflict
    ├── SignInFailed                    unauthenticated (number or PIN wrong; never which)
    ├── SignInThrottled                 throttled (retry_after)
    ├── SignInBusy                      unavailable (retry_after): too many at once
    ├── VolunteerMovedAway              forbidden (the right PIN of a moved-away volunteer)
    ├── GrantNotFound                   not_found (an opening balance or adjustment)
    ├── InvalidGrant                    invalid   (points, dates, reason; ``problems`` by row)
    ├── GrantFourEyes                   forbidden (the proposer cannot confirm their own grant)
    ├── OpeningBalanceExists            conflict  (figures: grant_id or entry_id)
    ├── GrantStateConflict              conflict  (confirm a rejected grant, reject a confirmed)
    ├── GrantToMovedAway                conflict  (a moved-away volunteer gets no grant)
    ├── GrantKeyConflict                conflict  (one idempotency key or batch, two requests)
    ├── InvalidCheckCode                invalid   (not eight characters of a printed page's code)
    └── TooManyCheckCodes               throttled (retry_after): wrong check codes from one address

    CouncilMemberCodeRace (db.Retryable) two adds of one code at once; the runner retries
    OrgUnitCodeRace (db.Retryable)       the same, for an org unit
    GrantRace (db.Retryable)             two proposals of one opening or key at once

Invariant: a code names one kind of refusal and never changes; the message is for people.
"""

from __future__ import annotations

from typing import Any

from db import Category, DomainError, Retryable
from i18n import _


class RegistryError(DomainError):
    """Base of the registry's errors."""

    code = "registry_error"


class CouncilMemberCodeRace(Retryable):
    """A concurrent request added a council member with the same code first; the transaction
    runner runs the use case again, which then finds that member."""


class OrgUnitCodeRace(Retryable):
    """A concurrent request added an org unit with the same code first; the runner runs the
    use case again, which then finds that unit."""


class OrgUnitNotFound(RegistryError):
    code = "org_unit_not_found"
    category = Category.NOT_FOUND


class PassbookNotFound(RegistryError):
    code = "passbook_not_found"
    category = Category.NOT_FOUND


class CouncilMemberNotFound(RegistryError):
    code = "council_member_not_found"
    category = Category.NOT_FOUND


class InvalidPerson(RegistryError):
    """A name, phone or PIN that cannot be accepted as given."""

    code = "invalid_person_data"


class VolunteerMoveRefused(InvalidPerson):
    code = "move_refused"


class InvalidPin(InvalidPerson):
    code = "invalid_pin"


class WeakPin(InvalidPerson):
    code = "weak_pin"


class RegistrationConflict(RegistryError):
    """The number or code is taken by a record that says something else."""

    code = "registration_conflict"
    category = Category.CONFLICT


class OrgUnitConflict(RegistryError):
    """The org unit code is taken by a unit of another kind or under another parent."""

    code = "org_unit_conflict"
    category = Category.CONFLICT


class OrgUnitClosed(RegistryError):
    """The org unit is closed: it takes no new units, volunteers, sheets or credentials."""

    code = "org_unit_closed"
    category = Category.CONFLICT


class PassbookNumberLookalike(RegistryError):
    """A new passbook number differs from a registered one only by O/0, I/1 or L/1: most
    likely a typo. ``figures`` name the registered number when the caller may see it."""

    code = "passbook_number_lookalike"
    category = Category.CONFLICT

    def __init__(self, message: str, *, existing_grid_path: str = "", **figures: Any) -> None:
        super().__init__(message, **figures)
        self.existing_grid_path = existing_grid_path


class RosterRejected(RegistryError):
    """A roster file with problems; ``figures['problems']`` lists every one, by row and
    column, and nothing of the file was saved."""

    code = "roster_rejected"


class CouncilMemberSteppedDown(RegistryError):
    code = "council_member_stepped_down"
    category = Category.CONFLICT


class SignInFailed(RegistryError):
    """The number or the PIN is wrong (or no PIN is set); which one is not told."""

    code = "sign_in_failed"
    category = Category.UNAUTHENTICATED
    title = "Sign-in failed"


class SignInThrottled(RegistryError):
    code = "sign_in_throttled"
    category = Category.THROTTLED


class SignInBusy(RegistryError):
    """Every hash place of this process is taken: the PIN was not checked, nothing counted."""

    code = "sign_in_busy"
    category = Category.UNAVAILABLE


class VolunteerMovedAway(RegistryError):
    code = "volunteer_moved_away"
    category = Category.FORBIDDEN


class GrantRace(Retryable):
    """A concurrent request proposed the same opening balance, or used the same key, first;
    the transaction runner runs the use case again, which then finds it."""


class GrantNotFound(RegistryError):
    code = "grant_not_found"
    category = Category.NOT_FOUND


class InvalidGrant(RegistryError):
    """Points, a date or a reason that cannot be granted; a batch lists every bad row in
    ``problems``."""

    code = "invalid_grant"


class GrantFourEyes(RegistryError):
    code = "four_eyes"
    category = Category.FORBIDDEN


class OpeningBalanceExists(RegistryError):
    code = "opening_balance_exists"
    category = Category.CONFLICT


class GrantStateConflict(RegistryError):
    code = "grant_state_conflict"
    category = Category.CONFLICT


class GrantToMovedAway(RegistryError):
    code = "volunteer_moved_away_no_grant"
    category = Category.CONFLICT


class GrantKeyConflict(RegistryError):
    code = "idempotency_conflict"
    category = Category.CONFLICT


__all__ = [
    "CouncilMemberCodeRace",
    "CouncilMemberNotFound",
    "CouncilMemberSteppedDown",
    "GrantFourEyes",
    "GrantKeyConflict",
    "GrantNotFound",
    "GrantRace",
    "GrantStateConflict",
    "GrantToMovedAway",
    "InvalidGrant",
    "InvalidPerson",
    "InvalidPin",
    "OpeningBalanceExists",
    "OrgUnitClosed",
    "OrgUnitCodeRace",
    "OrgUnitConflict",
    "OrgUnitNotFound",
    "PassbookNotFound",
    "PassbookNumberLookalike",
    "RegistrationConflict",
    "RegistryError",
    "RosterRejected",
    "SignInBusy",
    "SignInFailed",
    "SignInThrottled",
    "VolunteerMoveRefused",
    "VolunteerMovedAway",
    "WeakPin",
]


class InvalidCheckCode(RegistryError):
    """A typed check code that is not one (a printed page's code is eight characters)."""

    code = "invalid_check_code"

    def __init__(self) -> None:
        super().__init__(
            _(
                "A check code is the eight letters and digits printed at the foot of a "
                "passbook page, like 7K3M-Q9PX; please type it again."
            )
        )


class TooManyCheckCodes(RegistryError):
    """Too many wrong check codes from one client address: checking waits, nothing is read."""

    code = "too_many_check_codes"
    category = Category.THROTTLED

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            _(
                "Too many check codes from here did not match; please try again in {minutes} "
                "minutes.",
                minutes=minutes,
            ),
            retry_after=retry_after,
        )
        self.figures["retry_after"] = retry_after
