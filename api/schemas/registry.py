"""What the registry endpoints take and give: volunteers, council members and sign-in.

Phones leave the service in full only to the person themself and to admins in scope; everyone
else gets them masked (``138****5678``) and ``phone_masked`` says so.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.schemas import GridRef, Strict, WholeNumber, refusal

StatusName = Literal["active", "moved_away"]
"""The values of :class:`community.VolunteerStatus`, written out so the OpenAPI document shows
them inline as it always has (an enum class would become a schema component of its own)."""


class VolunteerIn(Strict):
    passbook_number: str = Field(
        min_length=1, max_length=64, description="as printed on the paper passbook's cover"
    )
    name: str = Field(min_length=1, max_length=200, description="the volunteer's name")
    grid: str = Field(min_length=1, max_length=40, description="the grid's code, e.g. yzs-g1")
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="a mainland mobile number (11 digits) or a landline (0531-86123456)",
    )
    leaderboard_opt_out: bool = Field(
        default=False, description="true keeps the volunteer off the grid's leaderboard"
    )
    joined_on: date | None = Field(
        default=None,
        description="the day they joined the scheme (入册日期), for a passbook carried over "
        "from paper; today by default",
    )


class VolunteerChange(Strict):
    """Only the fields sent are changed; ``"phone": null`` removes the phone."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    leaderboard_opt_out: bool | None = None

    @field_validator("name")
    @classmethod
    def _a_name(cls, name: str | None) -> str | None:
        # Runs only on a name sent: null is refused, leaving it out keeps the name.
        if name is None:
            raise refusal("name_needed")
        return name

    @field_validator("leaderboard_opt_out")
    @classmethod
    def _true_or_false(cls, value: bool | None) -> bool | None:
        if value is None:
            raise refusal("true_or_false")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> VolunteerChange:
        if not self.model_fields_set:
            raise refusal("nothing_to_change")
        return self


class StatusIn(Strict):
    status: StatusName = Field(description="active, or moved_away (cannot sign in)")


class MoveIn(Strict):
    to_grid: str = Field(min_length=1, max_length=40, description="the new grid's code")


class PinIn(Strict):
    model_config = ConfigDict(hide_input_in_errors=True)

    pin: str = Field(min_length=1, max_length=32, description="4 to 6 digits, as a string")


class SignInIn(Strict):
    model_config = ConfigDict(hide_input_in_errors=True)

    passbook_number: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=32, description="4 to 6 digits, as a string")
    device: str | None = Field(
        default=None,
        max_length=100,
        description="the 'device' value an earlier sign-in from this phone or browser returned: "
        "such a sign-in is not slowed by other people's wrong PINs",
    )


class SignInOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only now")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name
    expires_at: datetime
    expires_in: int = Field(description="seconds the token is valid for")
    passbook_number: str
    holder: str
    device: str = Field(
        description="keep it on this device and send it with later sign-ins; shown only now"
    )


class SignInStatus(BaseModel):
    pin_set: bool
    wrong_pins_in_a_row: int
    locked_until: datetime | None


class VolunteerOut(BaseModel):
    passbook_number: str
    name: str
    grid: GridRef
    phone: str | None = Field(description="masked (138****5678) unless phone_masked is false")
    phone_masked: bool
    status: StatusName
    leaderboard_opt_out: bool
    registered_at: datetime
    joined_on: date = Field(description="the day they joined the scheme (入册日期)")
    sign_in: SignInStatus | None = Field(
        description="PIN state, for the volunteer themself and admins in scope only"
    )


class VolunteerList(BaseModel):
    unit: str = Field(description="the org unit listed (its grids' volunteers)")
    volunteers: list[VolunteerOut]
    total: int = Field(description="how many volunteers match, on all pages")
    next_after: str | None = Field(description="pass as ?after= for the next page")


class MoveOut(BaseModel):
    from_grid: GridRef
    to_grid: GridRef
    moved_at: datetime
    actor: str


class MovedOut(BaseModel):
    volunteer: VolunteerOut
    move: MoveOut


class MoveList(BaseModel):
    passbook_number: str
    moves: list[MoveOut]


class CouncilMemberIn(Strict):
    code: str = Field(min_length=1, max_length=40, description="e.g. yzs-g1-c; never reused")
    name: str = Field(min_length=1, max_length=200)
    grid: str = Field(min_length=1, max_length=40)
    phone: str | None = Field(default=None, max_length=32)
    passbook_number: str | None = Field(
        default=None,
        max_length=64,
        description="their own passbook if they volunteer too (they never score themselves)",
    )


class CouncilMemberOut(BaseModel):
    code: str
    name: str
    grid: GridRef
    phone: str | None
    phone_masked: bool
    active: bool
    passbook_number: str | None = Field(description="shown to admins in scope only")


class CouncilMemberList(BaseModel):
    unit: str
    members: list[CouncilMemberOut]


class CouncilTokenIn(Strict):
    label: str | None = Field(
        default=None, max_length=200, description="whose token it is; the member's name if left out"
    )
    valid_days: WholeNumber = Field(default=180, ge=1, le=366)


class CouncilTokenOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only now")
    expires_at: datetime
    member: CouncilMemberOut
