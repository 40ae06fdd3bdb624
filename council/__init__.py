"""Council scoring: savings rules, love incentives, grid budgets and scoring sheets that post
points into passbooks once a second council member approves them, and the grid reports.

Uses the ledger and the registry through their public APIs; knows nothing of HTTP. Every
function takes an open connection: the caller's use case owns the transaction. The use cases
themselves (who may do what, then the work) are in :mod:`council.services`, which this module
does not import.
"""

from council._budgets import (
    Budget,
    issued_in_month,
    list_budgets,
    parse_month,
    set_budget,
)
from council._corrections import correct_line, reverse_sheet
from council._decisions import approve_sheet, reject_sheet, submit_sheet
from council._draft_edits import DraftChanges, delete_draft, edit_draft, revise_sheet
from council._drafting import draft_sheet
from council._incentives import (
    Incentive,
    add_incentive,
    find_incentive,
    list_incentives,
    set_incentive_active,
)
from council._owners import entry_owner
from council._reports import (
    CirculationRow,
    IssuanceReport,
    IssuanceRow,
    Leaderboard,
    LeaderboardRow,
    circulation,
    issuance_report,
    leaderboard,
)
from council._rules import (
    SavingsRule,
    add_rule,
    list_rules,
    revise_rule,
    rule_in_force,
    rule_versions,
)
from council._sheet import (
    INCENTIVE_KIND,
    MAX_LINES,
    SCORING_KIND,
    LineIn,
    Sheet,
    SheetLine,
    SheetSummary,
    get_sheet,
    list_sheets,
    sheet_notes,
)
from council._status import LIVE_STATES, SheetStatus
from council._takeback_reading import Takeback, get_takeback, list_takebacks, takebacks_under
from council._takebacks import (
    confirm_takeback,
    decline_takeback,
    propose_takeback,
    withdraw_takeback,
)
from council.errors import (
    BudgetExceeded,
    CorrectionRefused,
    DailyCapExceeded,
    DraftKeyConflict,
    FourEyes,
    IncentiveNotFound,
    InvalidRule,
    InvalidSheet,
    NotYourGrid,
    RuleNotFound,
    ScoringError,
    SheetAlreadyRevised,
    SheetNotFound,
    SheetStateConflict,
    TakebackConflict,
    TakebackNotFound,
)
from scheme_time import month_of

__all__ = [
    "INCENTIVE_KIND",
    "LIVE_STATES",
    "MAX_LINES",
    "SCORING_KIND",
    "Budget",
    "BudgetExceeded",
    "CirculationRow",
    "CorrectionRefused",
    "DailyCapExceeded",
    "DraftChanges",
    "DraftKeyConflict",
    "FourEyes",
    "Incentive",
    "IncentiveNotFound",
    "InvalidRule",
    "InvalidSheet",
    "IssuanceReport",
    "IssuanceRow",
    "Leaderboard",
    "LeaderboardRow",
    "LineIn",
    "NotYourGrid",
    "RuleNotFound",
    "SavingsRule",
    "ScoringError",
    "Sheet",
    "SheetAlreadyRevised",
    "SheetLine",
    "SheetNotFound",
    "SheetStateConflict",
    "SheetStatus",
    "SheetSummary",
    "Takeback",
    "TakebackConflict",
    "TakebackNotFound",
    "add_incentive",
    "add_rule",
    "approve_sheet",
    "circulation",
    "confirm_takeback",
    "correct_line",
    "decline_takeback",
    "delete_draft",
    "draft_sheet",
    "edit_draft",
    "entry_owner",
    "find_incentive",
    "get_sheet",
    "get_takeback",
    "issuance_report",
    "issued_in_month",
    "leaderboard",
    "list_budgets",
    "list_incentives",
    "list_rules",
    "list_sheets",
    "list_takebacks",
    "month_of",
    "parse_month",
    "propose_takeback",
    "reject_sheet",
    "reverse_sheet",
    "revise_rule",
    "revise_sheet",
    "rule_in_force",
    "rule_versions",
    "set_budget",
    "set_incentive_active",
    "sheet_notes",
    "submit_sheet",
    "takebacks_under",
    "withdraw_takeback",
]
