"""The org registry (street > community > grid) and volunteers with their passbooks.

Uses the ledger through its public API only; knows nothing of HTTP.
"""

from community._registry import (
    ISSUANCE_KIND,
    PASSBOOK_KIND,
    CouncilMember,
    OrgUnit,
    OrgUnitNotFound,
    Passbook,
    PassbookNotFound,
    RegistryError,
    add_council_member,
    add_org_unit,
    find_council_member,
    find_org_unit,
    find_passbook,
    get_council_member,
    org_paths_of_accounts,
    register_volunteer,
    within,
)
from community._tables import council_member, org_unit, volunteer, volunteer_move

__all__ = [
    "ISSUANCE_KIND",
    "PASSBOOK_KIND",
    "CouncilMember",
    "OrgUnit",
    "OrgUnitNotFound",
    "Passbook",
    "PassbookNotFound",
    "RegistryError",
    "add_council_member",
    "add_org_unit",
    "council_member",
    "find_council_member",
    "find_org_unit",
    "find_passbook",
    "get_council_member",
    "org_paths_of_accounts",
    "org_unit",
    "register_volunteer",
    "volunteer",
    "volunteer_move",
    "within",
]
