"""Every table, imported in one place so alembic sees the whole schema."""

from api._tokens_table import ApiTokenRow
from community._tables import OrgUnitRow, VolunteerRow
from db import metadata
from ledger._tables import AccountRow, EntryRow, HoldRow, PostingRow

__all__ = [
    "AccountRow",
    "ApiTokenRow",
    "EntryRow",
    "HoldRow",
    "OrgUnitRow",
    "PostingRow",
    "VolunteerRow",
    "metadata",
]
