"""The org registry (street > community > grid) and volunteers with their passbooks.

Uses the ledger through its public API only; knows nothing of HTTP.
"""

from community._registry import (
    ISSUANCE_KIND,
    PASSBOOK_KIND,
    OrgUnit,
    OrgUnitNotFound,
    Passbook,
    PassbookNotFound,
    RegistryError,
    add_org_unit,
    find_org_unit,
    find_passbook,
    org_paths_of_accounts,
    register_volunteer,
    within,
)
from community._tables import org_unit, volunteer

__all__ = [
    "ISSUANCE_KIND",
    "PASSBOOK_KIND",
    "OrgUnit",
    "OrgUnitNotFound",
    "Passbook",
    "PassbookNotFound",
    "RegistryError",
    "add_org_unit",
    "find_org_unit",
    "find_passbook",
    "org_paths_of_accounts",
    "org_unit",
    "register_volunteer",
    "volunteer",
    "within",
]
