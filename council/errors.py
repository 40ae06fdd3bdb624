"""What can go wrong in council scoring, each error saying what happened and what to do.

The tree::

    ScoringError                      (category tells the API which kind of failure it is)
    ├── RuleNotFound                  not_found
    ├── SheetNotFound                 not_found
    ├── IncentiveNotFound             not_found
    ├── InvalidRule                   invalid
    ├── InvalidSheet                  invalid   (bad lines, dates, volunteers out of the grid)
    │   └── DailyCapExceeded          invalid   (figures: cap, already, asked)
    ├── NotYourGrid                   forbidden (a council member acts only in their grid)
    ├── FourEyes                      forbidden (the author cannot approve their own sheet)
    ├── SheetStateConflict            conflict  (submit a draft, approve a submitted sheet ...)
    ├── DraftKeyConflict              conflict  (one idempotency key, two different drafts)
    ├── DraftRace                     (internal: a concurrent draft took the key; retried)
    ├── BudgetExceeded                conflict  (figures: cap, issued, sheet, over)
    └── CorrectionRefused             conflict  (figures: passbook, short)
"""

from __future__ import annotations

from typing import Any


class ScoringError(Exception):
    code = "scoring_error"
    category = "invalid"

    def __init__(self, message: str, **figures: Any) -> None:
        super().__init__(message)
        self.message = message
        self.figures = figures


class RuleNotFound(ScoringError):
    code = "savings_rule_not_found"
    category = "not_found"


class SheetNotFound(ScoringError):
    code = "scoring_sheet_not_found"
    category = "not_found"


class IncentiveNotFound(ScoringError):
    code = "incentive_not_found"
    category = "not_found"


class InvalidRule(ScoringError):
    code = "invalid_savings_rule"


class InvalidSheet(ScoringError):
    code = "invalid_scoring_sheet"


class DailyCapExceeded(InvalidSheet):
    code = "daily_cap_exceeded"


class NotYourGrid(ScoringError):
    code = "not_your_grid"
    category = "forbidden"


class FourEyes(ScoringError):
    code = "four_eyes"
    category = "forbidden"


class SheetStateConflict(ScoringError):
    code = "sheet_state_conflict"
    category = "conflict"


class BudgetExceeded(ScoringError):
    code = "budget_exceeded"
    category = "conflict"


class CorrectionRefused(ScoringError):
    code = "correction_refused"
    category = "conflict"


class DraftKeyConflict(ScoringError):
    code = "idempotency_conflict"
    category = "conflict"


class DraftRace(ScoringError):
    """A concurrent draft with the same key committed first; the use case is run again and
    then answers that sheet. Never reaches a caller of :func:`db.run_in_transaction` given
    ``retry_on=council.is_retryable``."""

    code = "draft_race"
    category = "conflict"


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, DraftRace)
