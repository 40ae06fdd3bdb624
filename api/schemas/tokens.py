"""What the credential endpoints take and give. A credential's hash never leaves the service;
its text is shown once, in the answer that made it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import Strict, WholeNumber

RoleName = Literal["admin", "council", "volunteer", "merchant", "auditor"]
IssuedRole = Literal["admin", "council", "merchant", "auditor"]
"""The roles an admin issues through the API; volunteers sign in with their PIN."""
StateName = Literal["active", "expired", "revoked", "holder_gone"]


class CredentialIn(Strict):
    role: IssuedRole = Field(
        description="admin (a grid worker's credential is an admin one scoped to a grid), "
        "council, merchant or auditor"
    )
    scope: str = Field(
        min_length=1,
        max_length=200,
        description="an org unit code (admin, auditor), a council member's code (council) or "
        "a merchant code (merchant); it must exist and be open",
    )
    label: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="whose credential it is (a person, a scanner); a council member's name if "
        "left out for a council credential, required otherwise",
    )
    valid_days: WholeNumber = Field(default=180, ge=1, le=366)


class CredentialOut(BaseModel):
    id: int
    role: RoleName
    scope: str = Field(
        description="as stored: an org path (admin, auditor, council), a passbook number or a "
        "merchant code"
    )
    council_member: str | None = Field(description="the member a council credential speaks for")
    label: str
    state: StateName = Field(
        description="active, or why not: expired, revoked, or holder_gone (the council member "
        "stepped down or the volunteer moved away)"
    )
    created_at: datetime
    created_by: str | None = Field(description="who made it; null for the oldest credentials")
    last_used_at: datetime | None = Field(
        description="when it last let someone in, noted at most every few minutes"
    )
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class CredentialPage(BaseModel):
    credentials: list[CredentialOut]
    earlier: int | None = Field(description="pass as 'before' for the next (older) page")


class IssuedCredentialOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only now")
    credential: CredentialOut


class RevocationOut(BaseModel):
    credential: CredentialOut
    revoked_now: bool = Field(
        description="false when it was already revoked: nothing changed, 'revoked_at' and "
        "'revoked_by' say when and by whom"
    )
