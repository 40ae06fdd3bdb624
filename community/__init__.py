"""The org registry (street > community > grid), volunteers with their passbooks, council
members, and volunteer sign-in by PIN.

Uses the ledger through its public API only; knows nothing of HTTP and nothing of who is
asking: the use cases that check a caller's rule (they take an :class:`access.Principal`)
live in :mod:`community.services`, which this package does not import (``access`` builds on
this package, and ``community.services`` on ``access``). Its errors are the registry's branch
of the one error tree, drawn in :mod:`community.errors`.

Modules, one job each: ``_cleaning`` (codes, names, phones, numbers), ``_org_units`` (the
tree), ``_passbooks`` (numbers and accounts), ``_registration`` (registering volunteers),
``_volunteers`` (volunteers as people: details, status, moves), ``_council_members``,
``_signin`` (the PIN policy) and ``_tables``.
"""

from community._cleaning import clean_name, clean_passbook_number, clean_phone, is_code, mask_phone
from community._council_members import (
    CouncilMember,
    add_council_member,
    appoint_council_member,
    find_council_member,
    get_council_member,
    list_council_members,
    step_down_council_member,
)
from community._org_units import ISSUANCE_KIND, OrgUnit, add_org_unit, find_org_unit, within
from community._passbooks import PASSBOOK_KIND, Passbook, find_passbook, org_paths_of_accounts
from community._registration import enrol_volunteer, register_volunteer
from community._signin import (
    LOCK_AFTER_FAILURES,
    LOCK_DURATION,
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    SIGN_IN_VALID_FOR,
    THROTTLE_AFTER_FAILURES,
    THROTTLE_FIRST_WAIT,
    SignInCheck,
    check_pin,
    check_pin_rules,
    set_pin,
    wait_after,
)
from community._tables import council_member, org_unit, volunteer, volunteer_move
from community._volunteers import (
    KEEP,
    MAX_LIST,
    Keep,
    Volunteer,
    VolunteerMove,
    VolunteerPage,
    VolunteerStatus,
    find_volunteer,
    get_volunteer,
    list_volunteers,
    move_volunteer,
    set_volunteer_status,
    target_grid,
    update_volunteer,
    volunteer_moves,
)
from community.errors import (
    CouncilMemberCodeRace,
    CouncilMemberNotFound,
    CouncilMemberSteppedDown,
    InvalidPerson,
    InvalidPin,
    OrgUnitNotFound,
    PassbookNotFound,
    RegistrationConflict,
    RegistryError,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
    VolunteerMovedAway,
    VolunteerMoveRefused,
    WeakPin,
)

__all__ = [
    "ISSUANCE_KIND",
    "KEEP",
    "LOCK_AFTER_FAILURES",
    "LOCK_DURATION",
    "MAX_LIST",
    "PASSBOOK_KIND",
    "PIN_MAX_DIGITS",
    "PIN_MIN_DIGITS",
    "SIGN_IN_VALID_FOR",
    "THROTTLE_AFTER_FAILURES",
    "THROTTLE_FIRST_WAIT",
    "CouncilMember",
    "CouncilMemberCodeRace",
    "CouncilMemberNotFound",
    "CouncilMemberSteppedDown",
    "InvalidPerson",
    "InvalidPin",
    "Keep",
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
    "Volunteer",
    "VolunteerMove",
    "VolunteerMoveRefused",
    "VolunteerMovedAway",
    "VolunteerPage",
    "VolunteerStatus",
    "WeakPin",
    "add_council_member",
    "add_org_unit",
    "appoint_council_member",
    "check_pin",
    "check_pin_rules",
    "clean_name",
    "clean_passbook_number",
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
