"""The council's use cases: each one named, typed and documented, taking the connection, the
:class:`access.Principal` who acts and plain keyword inputs, and answering a domain value.

Each checks who may do it with :mod:`access` (raising :class:`access.Forbidden`), then does
the work with the :mod:`council` domain functions; the API, the command line and the pages
call these, so every entry point applies one rule. Not imported by :mod:`council` itself:
callers write ``from council import services``.
"""

from council.services.budgets import list_budgets, set_budget
from council.services.reports import circulation, issuance_report, leaderboard
from council.services.rules import (
    list_incentives,
    list_rules,
    publish_incentive,
    publish_rule,
    revise_rule,
    rule_versions,
)
from council.services.sheets import (
    approve_sheet,
    delete_draft,
    draft_sheet,
    edit_draft,
    list_sheets,
    read_sheet,
    reject_sheet,
    revise_sheet,
    submit_sheet,
)
from council.services.takebacks import (
    confirm_takeback,
    decline_takeback,
    list_takebacks,
    propose_correction,
    propose_reversal,
    read_takeback,
    takebacks_to_decide,
    withdraw_takeback,
)

__all__ = [
    "approve_sheet",
    "circulation",
    "confirm_takeback",
    "decline_takeback",
    "delete_draft",
    "draft_sheet",
    "edit_draft",
    "issuance_report",
    "leaderboard",
    "list_budgets",
    "list_incentives",
    "list_rules",
    "list_sheets",
    "list_takebacks",
    "propose_correction",
    "propose_reversal",
    "publish_incentive",
    "publish_rule",
    "read_sheet",
    "read_takeback",
    "reject_sheet",
    "revise_rule",
    "revise_sheet",
    "rule_versions",
    "set_budget",
    "submit_sheet",
    "takebacks_to_decide",
    "withdraw_takeback",
]
