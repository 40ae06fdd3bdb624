"""What the rewards endpoints take and give. Requests refuse unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from api.schemas import Strict, WholeNumber, refusal

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"


class MerchantIn(Strict):
    code: str = Field(pattern=CODE_PATTERN, description="lower-case letters, digits, dashes")
    name: str = Field(min_length=1, max_length=100)
    org_unit: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="the org unit the merchant serves (its admins manage it and read its "
        "settlement; its rewards lie within it); the admin's own unit by default",
    )


class MerchantRef(BaseModel):
    code: str
    name: str


class MerchantOut(MerchantRef):
    account_id: int = Field(description="the ledger account that receives consumed vouchers")
    org_unit: str = Field(description="the code of the org unit the merchant serves")
    org_unit_name: str


class RewardIn(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100, description="the name volunteers see")
    description: str = Field(default="", max_length=500)
    kind: Literal["goods", "service", "place"]
    cost_points: WholeNumber = Field(ge=1, le=1_000_000)
    merchant: str = Field(description="the code of the merchant that honours it")
    allocation: Literal["instant", "ballot"] = "instant"
    stock_total: WholeNumber | None = Field(
        default=None, ge=0, le=1_000_000, description="none: no limit"
    )
    monthly_quota: WholeNumber | None = Field(default=None, ge=1, le=1_000_000)
    per_volunteer_limit: WholeNumber | None = Field(default=None, ge=1, le=1000)
    limit_period: Literal["month", "year", "ever"] = "month"
    min_lifetime_points: WholeNumber = Field(default=0, ge=0, le=10**12)
    min_months_registered: WholeNumber = Field(default=0, ge=0, le=600)
    org_unit: str | None = Field(
        default=None,
        description="only volunteers of this org unit (code) may redeem; default: the unit "
        "the admin token is scoped to",
    )
    voucher_valid_days: WholeNumber = Field(default=30, ge=1, le=366)
    sale_starts_at: AwareDatetime | None = None
    sale_ends_at: AwareDatetime | None = None


class RewardPatch(Strict):
    """Send only what changes; ``null`` removes a stock total, quota, limit or sale end."""

    stock_total: WholeNumber | None = Field(default=None, ge=0, le=1_000_000)
    monthly_quota: WholeNumber | None = Field(default=None, ge=1, le=1_000_000)
    per_volunteer_limit: WholeNumber | None = Field(default=None, ge=1, le=1000)
    sale_ends_at: AwareDatetime | None = None
    active: bool | None = None

    @field_validator("active")
    @classmethod
    def _true_or_false(cls, active: bool | None) -> bool | None:
        # Runs only on a value sent: null is refused, leaving it out keeps the reward as it is.
        if active is None:
            raise refusal("true_or_false")
        return active


class Eligibility(BaseModel):
    org_unit: str
    org_unit_name: str
    min_lifetime_points: int
    min_months_registered: int


class RewardOut(BaseModel):
    code: str
    name: str
    description: str
    kind: str
    cost_points: int
    merchant: MerchantRef
    allocation: str
    stock_total: int | None
    stock_left: int | None = Field(description="none: no stock limit")
    monthly_quota: int | None
    per_volunteer_limit: int | None
    limit_period: str
    eligibility: Eligibility
    voucher_valid_days: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    active: bool


class ReasonOut(BaseModel):
    code: str = Field(description="not_enough_points, limit_reached, sold_out, not_eligible, ...")
    message: str


class OfferOut(BaseModel):
    reward: RewardOut
    can_redeem: bool | None = Field(description="for the passbook asked about; none without one")
    reasons: list[ReasonOut] = Field(description="why it cannot be redeemed now")
    quota_left: int | None
    limit_left: int | None = Field(description="how many more this passbook may have now")
    available_points: int | None


class Catalog(BaseModel):
    passbook: str | None
    offers: list[OfferOut]


class RedemptionIn(Strict):
    passbook: str | None = Field(
        default=None, description="whose points; a volunteer's token defaults to their own"
    )
    quantity: WholeNumber = Field(default=1, ge=1, le=10)


class RewardRef(BaseModel):
    code: str
    name: str


class VoucherImages(BaseModel):
    barcode_svg: str
    barcode_png: str
    qr_svg: str
    qr_png: str


class VoucherOut(BaseModel):
    id: int
    code: str = Field(description="as printed: five groups of four")
    reward: RewardRef
    merchant: MerchantRef
    passbook: str
    points: int
    status: Literal["issued", "used", "cancelled", "expired"] = Field(
        description="as of now: a voucher past its date is expired"
    )
    issued_at: datetime
    valid_until: date = Field(description="the last day it can be used")
    expires_at: datetime
    closed_at: datetime | None
    redemption_id: int | None
    images: VoucherImages


class RedemptionOut(BaseModel):
    id: int
    reward: RewardRef
    passbook: str
    quantity: int
    unit_cost: int
    total_points: int
    recorded_by: str
    created_at: datetime
    vouchers: list[VoucherOut]
    replayed: bool = False


class VoucherList(BaseModel):
    passbook: str
    vouchers: list[VoucherOut]
    earlier: int | None = Field(
        default=None, description="pass as ?before= to read the older vouchers; none: no more"
    )


class ScanIn(Strict):
    code: str = Field(min_length=1, max_length=64, description="as scanned or typed")


class ScanOut(BaseModel):
    verdict: Literal["valid", "used", "expired", "cancelled", "not_yours"]
    message: str
    code: str
    reward: RewardRef
    merchant: MerchantRef
    points: int
    holder: str = Field(description="the holder's name, masked")
    valid_until: date
    used_at: datetime | None


class ConsumeOut(BaseModel):
    verdict: Literal["used"] = "used"
    message: str
    code: str
    reward: RewardRef
    points: int
    holder: str
    used_at: datetime
    entry_id: int = Field(description="the ledger entry that paid the merchant")
    replayed: bool = Field(description="true: a retry of this scanner's earlier success")


class SettlementLineOut(BaseModel):
    used_at: datetime
    voucher: str
    reward: RewardRef
    points: int
    scanned_by: str
    entry_id: int


class RewardTotalOut(BaseModel):
    reward: RewardRef
    vouchers: int
    points: int


class SettlementOut(BaseModel):
    merchant: MerchantRef
    first_day: date
    last_day: date
    vouchers: int
    points: int
    by_reward: list[RewardTotalOut]
    lines: list[SettlementLineOut]
