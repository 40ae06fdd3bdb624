"""What the endpoints of opening balances and adjustments take and give."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

import community
from api.schemas import Strict, WholeNumber

GrantKindName = Literal["opening", "adjustment"]
GrantStatusName = Literal["proposed", "confirmed", "rejected"]
"""The values of :class:`community.GrantKind` and :class:`community.GrantStatus`, written out
so the OpenAPI document shows them inline."""

Points = WholeNumber
_BATCH = Field(
    default=None,
    min_length=1,
    max_length=community.MAX_BATCH_NAME,
    description="a name that groups grants to confirm together, e.g. the file they came from",
)


class OpeningIn(Strict):
    points: Points = Field(
        ge=1, le=community.MAX_GRANT_POINTS, description="the paper passbook's last balance"
    )
    as_of: date = Field(
        description="the paper passbook's date (of that balance); not later than today"
    )
    note: str = Field(default="", max_length=community.MAX_REASON, description="optional")
    batch: str | None = _BATCH


class AdjustmentIn(Strict):
    points: Points = Field(
        ge=1, le=community.MAX_GRANT_POINTS, description="points for the service"
    )
    as_of: date = Field(description="the day served; not later than today")
    reason: str = Field(
        min_length=1, max_length=community.MAX_REASON, description="what service, and why now"
    )
    batch: str | None = _BATCH


class GrantReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=community.MAX_REASON, description="why")


class GrantOut(BaseModel):
    id: int
    kind: GrantKindName
    passbook_number: str
    holder: str
    grid: str = Field(description="the volunteer's grid's code")
    points: int
    as_of: date = Field(description="the paper passbook's date, or the day served")
    reason: str
    memo: str = Field(description="what the passbook's statement says once it is confirmed")
    status: GrantStatusName
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    withdrawn: bool = Field(description="rejected by its own proposer")
    reject_reason: str | None
    entry_id: int | None = Field(description="the ledger entry that posted it, once confirmed")
    batch: str | None
    replayed: bool = Field(default=False, description="the answer to a repeated request")


class GrantPage(BaseModel):
    grants: list[GrantOut]
    earlier: int | None = Field(description="pass as ?before= to read older grants")


class BatchProposal(BaseModel):
    batch: str = Field(
        description="the batch's name: confirm it at /api/grant-batches/{batch}/confirmation"
    )
    grants: list[GrantOut]
    points: int = Field(description="the points the batch will post once confirmed")
    replayed: bool = Field(description="true when this file was proposed already: nothing new")


class BatchConfirmation(BaseModel):
    batch: str
    grants: list[GrantOut] = Field(description="every grant of the batch not rejected")
    posted: int = Field(description="how many grants this request posted")
    points: int = Field(description="the points this request posted")
