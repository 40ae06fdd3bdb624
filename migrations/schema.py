"""Every table, imported in one place so alembic sees the whole schema."""

from api._tokens_table import ApiTokenRow
from community._tables import CouncilMemberRow, OrgUnitRow, VolunteerMoveRow, VolunteerRow
from council._tables import (
    GridBudgetRow,
    IncentiveAwardRow,
    IncentiveRow,
    SavingsRuleRow,
    ScoringSheetRow,
    SheetLineRow,
)
from db import metadata
from ledger._tables import AccountRow, EntryRow, HoldRow, PostingRow
from rewards._tables import (
    BallotApplicationRow,
    BallotRow,
    MerchantRow,
    RedemptionCounterRow,
    RedemptionRow,
    RewardQuotaRow,
    RewardRow,
    VoucherRow,
)

__all__ = [
    "AccountRow",
    "ApiTokenRow",
    "BallotApplicationRow",
    "BallotRow",
    "CouncilMemberRow",
    "EntryRow",
    "GridBudgetRow",
    "HoldRow",
    "IncentiveAwardRow",
    "IncentiveRow",
    "MerchantRow",
    "OrgUnitRow",
    "PostingRow",
    "RedemptionCounterRow",
    "RedemptionRow",
    "RewardQuotaRow",
    "RewardRow",
    "SavingsRuleRow",
    "ScoringSheetRow",
    "SheetLineRow",
    "VolunteerMoveRow",
    "VolunteerRow",
    "VoucherRow",
    "metadata",
]
