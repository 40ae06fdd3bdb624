"""The org registry (street > community > grid), volunteers with their passbooks, council
members, and volunteer sign-in by PIN.

Uses the ledger through its public API only; knows nothing of HTTP. Its errors are the
registry's branch of the one error tree (:class:`db.DomainError`): a ``category`` the API maps
to a status, a stable ``code`` and optional ``figures``::

    RegistryError                       invalid
    ├── OrgUnitNotFound                 not_found
    ├── PassbookNotFound                not_found
    ├── CouncilMemberNotFound           not_found
    ├── InvalidPerson                   invalid   (a name, phone or passbook number)
    │   ├── VolunteerMoveRefused        invalid   (to the same grid, or to a non-grid)
    │   ├── InvalidPin                  invalid   (not 4-6 digits)
    │   └── WeakPin                     invalid   (same digits, straight runs, repeats)
    ├── RegistrationConflict            conflict  (the number or code says something else)
    ├── CouncilMemberSteppedDown        conflict
    ├── SignInFailed                    unauthenticated (number or PIN wrong; never which)
    ├── SignInThrottled                 throttled (retry_after)
    ├── SignInLocked                    locked    (retry_after, figures: locked_until)
    └── VolunteerMovedAway              forbidden (the right PIN of a moved-away volunteer)

    CouncilMemberCodeRace (db.Retryable) two adds of one code at once; the runner retries
"""

from community._registry import (
    ISSUANCE_KIND,
    PASSBOOK_KIND,
    CouncilMember,
    CouncilMemberNotFound,
    CouncilMemberSteppedDown,
    InvalidPerson,
    OrgUnit,
    OrgUnitNotFound,
    Passbook,
    PassbookNotFound,
    RegistrationConflict,
    RegistryError,
    add_council_member,
    add_org_unit,
    appoint_council_member,
    clean_phone,
    enrol_volunteer,
    find_council_member,
    find_org_unit,
    find_passbook,
    get_council_member,
    is_code,
    list_council_members,
    mask_phone,
    org_paths_of_accounts,
    register_volunteer,
    step_down_council_member,
    within,
)
from community._signin import (
    LOCK_AFTER_FAILURES,
    LOCK_DURATION,
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    SIGN_IN_VALID_FOR,
    THROTTLE_AFTER_FAILURES,
    THROTTLE_FIRST_WAIT,
    InvalidPin,
    SignInCheck,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
    VolunteerMovedAway,
    WeakPin,
    check_pin,
    check_pin_rules,
    set_pin,
    wait_after,
)
from community._tables import council_member, org_unit, volunteer, volunteer_move
from community._volunteers import (
    MAX_LIST,
    STATUSES,
    Status,
    Volunteer,
    VolunteerMove,
    VolunteerMoveRefused,
    VolunteerPage,
    find_volunteer,
    get_volunteer,
    list_volunteers,
    move_volunteer,
    set_volunteer_status,
    target_grid,
    update_volunteer,
    volunteer_moves,
)

__all__ = [
    "ISSUANCE_KIND",
    "LOCK_AFTER_FAILURES",
    "LOCK_DURATION",
    "MAX_LIST",
    "PASSBOOK_KIND",
    "PIN_MAX_DIGITS",
    "PIN_MIN_DIGITS",
    "SIGN_IN_VALID_FOR",
    "STATUSES",
    "THROTTLE_AFTER_FAILURES",
    "THROTTLE_FIRST_WAIT",
    "CouncilMember",
    "CouncilMemberNotFound",
    "CouncilMemberSteppedDown",
    "InvalidPerson",
    "InvalidPin",
    "OrgUnit",
    "OrgUnitNotFound",
    "Passbook",
    "PassbookNotFound",
    "RegistrationConflict",
    "RegistryError",
    "SignInCheck",
    "SignInFailed",
    "SignInLocked",
    "SignInThrottled",
    "Status",
    "Volunteer",
    "VolunteerMove",
    "VolunteerMoveRefused",
    "VolunteerMovedAway",
    "VolunteerPage",
    "WeakPin",
    "add_council_member",
    "add_org_unit",
    "appoint_council_member",
    "check_pin",
    "check_pin_rules",
    "clean_phone",
    "council_member",
    "enrol_volunteer",
    "find_council_member",
    "find_org_unit",
    "find_passbook",
    "find_volunteer",
    "get_council_member",
    "get_volunteer",
    "is_code",
    "list_council_members",
    "list_volunteers",
    "mask_phone",
    "move_volunteer",
    "org_paths_of_accounts",
    "org_unit",
    "register_volunteer",
    "set_pin",
    "set_volunteer_status",
    "step_down_council_member",
    "target_grid",
    "update_volunteer",
    "volunteer",
    "volunteer_move",
    "volunteer_moves",
    "wait_after",
    "within",
]
