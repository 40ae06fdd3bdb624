"""What the sign-in code endpoints take and give. A code is shown once, in the answer that
issued it; its hash never leaves the service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Strict, WholeNumber

CodeRole = Literal["admin", "council", "merchant", "auditor"]


class SignInCodeIn(Strict):
    role: CodeRole = Field(
        description="what the device signs in as: admin (a grid worker's is scoped to a grid), "
        "council, merchant (a counter) or auditor"
    )
    scope: str = Field(
        min_length=1,
        max_length=200,
        description="an org unit code (admin, auditor), a council member's code (council) or "
        "a merchant code (merchant), as for a credential",
    )
    label: str | None = Field(
        default=None,
        min_length=1,
        max_length=160,
        description="which device or person, e.g. 'Counter 1'; the scope's name if left out",
    )
    valid_minutes: WholeNumber = Field(default=10, ge=1, le=60)


class SignInCodeOut(BaseModel):
    id: int
    role: CodeRole
    scope: str
    label: str
    created_at: datetime
    created_by: str
    expires_at: datetime


class IssuedSignInCodeOut(BaseModel):
    code: str = Field(description="XXXX-XXXX, to type on the device; shown only now")
    link_path: str = Field(
        description="the page that exchanges the code when opened as a link or QR: "
        "/signin/code/XXXX-XXXX"
    )
    expires_at: datetime
    sign_in_code: SignInCodeOut


class SignInCodeList(BaseModel):
    sign_in_codes: list[SignInCodeOut] = Field(description="open codes, newest first")


class RedemptionIn(Strict):
    model_config = ConfigDict(hide_input_in_errors=True)

    code: str = Field(
        min_length=1,
        max_length=40,
        description="as typed: any case, spaces and dashes are ignored",
    )


class RedemptionOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only now")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name
    expires_at: datetime
    expires_in: int = Field(description="seconds the token is valid for")
    role: CodeRole
    scope: str = Field(description="as stored: an org path, or a merchant code")
    label: str
