"""What can go wrong in council scoring, each error saying what happened and what to do.

The council's branch of the one error tree (:class:`db.DomainError`)::

    ScoringError                      (category tells the API which kind of failure it is)
    ├── RuleNotFound                  not_found
    ├── SheetNotFound                 not_found
    ├── IncentiveNotFound             not_found
    ├── InvalidRule                   invalid
    ├── TakebackNotFound              not_found
    ├── InvalidSheet                  invalid   (bad lines, dates, volunteers out of the grid)
    │   └── DailyCapExceeded          invalid   (figures: cap, already, asked)
    ├── NotYourGrid                   forbidden (a council member acts only in their grid)
    ├── FourEyes                      forbidden (the author cannot approve their own sheet;
    │                                            a take-back's proposer cannot confirm it)
    ├── SheetStateConflict            conflict  (submit a draft, approve a submitted sheet ...)
    ├── SheetAlreadyRevised           conflict  (a rejected sheet is revised once)
    ├── TakebackConflict              conflict  (one open proposal per line / sheet; decided)
    ├── DraftKeyConflict              conflict  (one idempotency key, two different drafts)
    ├── BudgetExceeded                conflict  (figures: cap, issued, sheet, over)
    └── CorrectionRefused             conflict  (figures: passbook, short)

    DraftRace (db.Retryable)          a concurrent draft took the key; the runner retries
    TakebackRace (db.Retryable)       a concurrent proposal or revision won; the runner retries

Every refusal about a sheet's lines says which lines to change: its ``lines`` figure lists
them (:func:`line_problem`: ``line``, ``passbook_number``, ``problem`` and the refusal's own
figures), and its message names them (:func:`naming`). A refusal about the whole sheet (its
date, its rule, its grid) lists every line and names the field to change in ``field``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from db import Category, DomainError, Retryable
from i18n import Message, _

NAMED_LINES = 5  # a message names this many lines; the figure lists them all


def line_problem(
    line: int, passbook_number: str, problem: str | Message, **more: Any
) -> dict[str, Any]:
    """One line a refusal asks to change, as its ``lines`` figure lists it (the figure's
    ``problem`` is English, like the code; :func:`naming` puts the lines in words)."""
    return {"line": line, "passbook_number": passbook_number, "problem": str(problem), **more}


def naming(lines: list[dict[str, Any]], problems: Sequence[str | Message] | None = None) -> Message:
    """The lines of a refusal in words: ``line 2 (YZS1-0002): ...; line 5 (...)``, the first
    few, and how many more the ``lines`` figure holds; ``problems`` (one a line, in the
    reader's language when shown) says what is wrong with each, when given."""
    shown: list[Message] = []
    for n, x in enumerate(lines[:NAMED_LINES]):
        if problems is None:
            shown.append(
                _(
                    "line {line} ({passbook_number})",
                    line=x["line"],
                    passbook_number=x["passbook_number"],
                )
            )
        else:
            shown.append(
                _(
                    "line {line} ({passbook_number}): {problem}",
                    line=x["line"],
                    passbook_number=x["passbook_number"],
                    problem=problems[n],
                )
            )
    said = shown[-1] if shown else _("no line")
    for earlier in reversed(shown[:-1]):
        said = _("{first}; {rest}", first=earlier, rest=said)
    more = len(lines) - NAMED_LINES
    if more > 0:
        said = _("{lines}; and {more} more line(s), see 'lines'", lines=said, more=more)
    return said


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


class TakebackNotFound(ScoringError):
    code = "takeback_not_found"
    category = Category.NOT_FOUND


class SheetAlreadyRevised(ScoringError):
    code = "sheet_already_revised"
    category = Category.CONFLICT


class TakebackConflict(ScoringError):
    code = "takeback_conflict"
    category = Category.CONFLICT


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


class TakebackRace(Retryable):
    """A concurrent proposal for the same line or sheet, or a concurrent revision of the same
    rejected sheet, committed first; the runner runs the use case again, which then sees it."""
