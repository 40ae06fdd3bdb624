"""What the checkpoint endpoints take and give. A checkpoint body is signed byte for byte
(its canonical JSON), so these models neither strip nor coerce: a string stays as sent and a
number must be a JSON integer."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas import VerifyReport, WholeNumber, refusal

MAX_ID = 2**63 - 1
HEX64 = r"^[0-9a-f]{64}$"


class Exact(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChainHeadBody(Exact):
    id: WholeNumber = Field(ge=1, le=MAX_ID, description="the ledger account")
    kind: str = Field(max_length=32, description="its kind (passbook, issuance, ...)")
    owner_ref: str = Field(max_length=128, description="whose account it is")
    seq: WholeNumber = Field(ge=0, le=MAX_ID, description="its posting count at the moment")
    head: str = Field(pattern=HEX64, description="the chain hash of posting 'seq' (0s if none)")


class CheckpointBody(Exact):
    """The unsigned checkpoint: sign the canonical JSON of exactly this object (keys sorted,
    no spaces, UTF-8), e.g. with 'passbook checkpoint sign'."""

    version: WholeNumber = Field(ge=1, le=1000)
    taken_at: str = Field(min_length=1, max_length=40, description="the moment, UTC (ISO)")
    books_digest: str = Field(pattern=HEX64, description="as GET /api/books/verify gives it")
    accounts: list[ChainHeadBody] = Field(max_length=300_000)


class SignedCheckpointIn(Exact):
    """A checkpoint file as 'passbook checkpoint' writes it."""

    checkpoint: CheckpointBody
    signature: str = Field(pattern=r"^[0-9a-f]{128}$", description="Ed25519, hex")
    public_key: str = Field(pattern=HEX64, description="the signer's raw public key, hex")


class CheckpointVerificationIn(Exact):
    signed: SignedCheckpointIn
    public_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="the auditor's public key (PEM, or 64 hex digits) to check the signature with",
    )
    fingerprint: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{16,64}$",
        description="or the published fingerprint (at least its first 16 hex digits) the "
        "key recorded in the file must have",
    )

    @model_validator(mode="after")
    def _a_trusted_key(self) -> Self:
        if self.public_key is None and self.fingerprint is None:
            raise refusal("trusted_key_needed")
        return self


class RewrittenAccount(BaseModel):
    account_id: int
    kind: str
    owner_ref: str
    reason: str


class CheckpointVerification(BaseModel):
    ok: bool = Field(description="the books verify and extend the checkpoint")
    extends: bool = Field(description="every checkpointed account's history is unchanged")
    taken_at: str
    books_digest: str
    accounts: int = Field(description="how many accounts the checkpoint holds")
    fingerprint: str = Field(description="of the key the signature verified with")
    rewritten: list[RewrittenAccount]
    books: VerifyReport
