"""What the API takes and gives. Requests refuse unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from i18n import Message, _

REFUSALS: dict[str, Message] = {
    "nothing_to_rename_or_close": _('Send a new name, or "closed": true, or both.'),
    "nothing_to_change": _(
        "Send at least one of the fields this operation changes: name, phone, leaderboard_opt_out."
    ),
    "name_needed": _("A volunteer always has a name: send the new one instead of null."),
    "true_or_false": _("Write true or false here; null is not a choice."),
    "trusted_key_needed": _(
        "Give public_key or fingerprint: a key taken from the file alone proves nothing."
    ),
}
"""The sentences of the requests' own rules (beyond a field's type and bounds), by the error
type a validator raises with :func:`refusal`; :mod:`api.validation` shows them in the
reader's language."""


def refusal(kind: str) -> PydanticCustomError:
    """The validation error of the rule ``kind`` (a key of :data:`REFUSALS`)."""
    return PydanticCustomError(kind, str(REFUSALS[kind]))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _whole_number(value: object) -> object:
    # The framework validates leniently (true would be 1, "5" would be 5, 5.0 would be 5);
    # a count of points or of vouchers is a JSON integer, like the ledger's own rule.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "whole_number",
            "must be a whole number written as a JSON integer (no quotes, no decimals)",
        )
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""An amount or a count in a request: points, units, places, days, a quantity."""


class FieldError(BaseModel):
    """One field of a refused request and what is wrong with it."""

    message: str
    key: str | None = Field(default=None, description="the field, parameter or header")
    source: str | None = Field(default=None, description="body, query, path or header")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``).

    Some problems carry more fields that say what was found: ``available``, ``needed`` and
    ``short`` (points), ``retry_after`` (seconds), a budget's ``left``.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI naming the kind of problem; it ends with the code")
    title: str = Field(description="the kind of problem, in a few words")
    status: int = Field(description="the HTTP status code")
    code: str = Field(description="stable and machine-readable, e.g. insufficient_points")
    detail: str = Field(description="what happened and what to do, for a person to read")
    instance: str = Field(description="the path of the request")
    request_id: str | None = Field(
        default=None,
        description="the request's id, as the X-Request-ID header of the answer: quote it "
        "when reporting the problem",
    )
    errors: list[FieldError] | None = Field(
        default=None, description="a refused request's fields, each with what is wrong"
    )


class Health(BaseModel):
    status: str
    database: str


class Ready(BaseModel):
    status: str
    database: str
    schema_revision: str


class Me(BaseModel):
    role: str
    scope: str
    label: str


class GridRef(BaseModel):
    code: str
    name: str


class PassbookBalance(BaseModel):
    """A passbook's balances; ``available = posted - held``."""

    number: str
    holder: str
    grid: GridRef
    posted: int = Field(description="points recorded in the passbook")
    held: int = Field(description="points reserved for vouchers not used yet")
    available: int = Field(description="points that can be spent now")
    lifetime_earned: int
    lines: int = Field(description="how many lines the passbook has")


class StatementLine(BaseModel):
    line: int = Field(description="the line number in this passbook, 1 for the first")
    date: date
    recorded_at: datetime
    kind: str
    what_for: str
    points: int = Field(description="+ points in, - points out")
    balance: int = Field(description="the balance after this line")
    entry_id: int
    reverses_entry_id: int | None


class Statement(BaseModel):
    number: str
    holder: str
    lines: list[StatementLine]
    earlier: int | None = Field(description="pass as ?before= to read the page before")
    later: int | None = Field(description="pass as ?after= to read the page after")


class PostingOut(BaseModel):
    account_id: int
    account_kind: str
    points: int
    balance_after: int


class EntryOut(BaseModel):
    id: int
    kind: str
    memo: str
    actor: str
    recorded_at: datetime
    date: date
    reverses_entry_id: int | None
    postings: list[PostingOut] = Field(description="only the postings the caller may see")
    hidden_postings: int = Field(description="postings on accounts outside the caller's scope")
    replayed: bool = False


class ReversalIn(Strict):
    reason: str = Field(min_length=1, max_length=500, description="why the entry was wrong")


class TrialBalanceRow(BaseModel):
    kind: str
    accounts: int
    posted: int
    held: int


class TrialBalance(BaseModel):
    rows: list[TrialBalanceRow]
    total: int
    balanced: bool
    entries: int


class VerifyProblem(BaseModel):
    entry_id: int | None
    account_id: int | None
    message: str


class VerifyReport(BaseModel):
    ok: bool
    entries: int
    postings: int
    accounts: int
    holds: int
    digest: str
    first_broken_entry: int | None
    problems: list[VerifyProblem]
