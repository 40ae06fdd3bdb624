"""What can go wrong in council scoring, each error saying what happened and what to do.

The council's branch of the one error tree (:class:`db.DomainError`)::

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
    ├── BudgetExceeded                conflict  (figures: cap, issued, sheet, over)
    └── CorrectionRefused             conflict  (figures: passbook, short)

    DraftRace (db.Retryable)          a concurrent draft took the key; the runner retries
"""

from __future__ import annotations

from db import Category, DomainError, Retryable


class ScoringError(DomainError):
    code = "scoring_error"


class RuleNotFound(ScoringError):
    code = "savings_rule_not_found"
    category = Category.NOT_FOUND


class SheetNotFound(ScoringError):
    code = "scoring_sheet_not_found"
    category = Category.NOT_FOUND


class IncentiveNotFound(ScoringError):
    code = "incentive_not_found"
    category = Category.NOT_FOUND


class InvalidRule(ScoringError):
    code = "invalid_savings_rule"


class InvalidSheet(ScoringError):
    code = "invalid_scoring_sheet"


class DailyCapExceeded(InvalidSheet):
    code = "daily_cap_exceeded"


class NotYourGrid(ScoringError):
    code = "not_your_grid"
    category = Category.FORBIDDEN


class FourEyes(ScoringError):
    code = "four_eyes"
    category = Category.FORBIDDEN


class SheetStateConflict(ScoringError):
    code = "sheet_state_conflict"
    category = Category.CONFLICT


class BudgetExceeded(ScoringError):
    code = "budget_exceeded"
    category = Category.CONFLICT


class CorrectionRefused(ScoringError):
    code = "correction_refused"
    category = Category.CONFLICT


class DraftKeyConflict(ScoringError):
    code = "idempotency_conflict"
    category = Category.CONFLICT


class DraftRace(Retryable):
    """A concurrent draft with the same key committed first; the transaction runner runs the
    use case again, which then answers that sheet."""
