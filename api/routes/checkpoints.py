"""Checkpoints for auditors: the unsigned body of a checkpoint to sign offline, and the check
that today's books extend a signed one. The use cases (:mod:`community.services.checkpoints`)
decide who may; the guards refuse a wrong role or scope first, as for /api/books/verify."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

import db
import i18n
import ledger
from access import Principal, Role
from api.auth import roles, whole_books
from api.problems import problem_response, reader_locale
from api.routes.books import verify_report
from api.schemas import checkpoints as schemas
from community import services

MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024
"""A signed checkpoint is about 200 bytes an account: this takes books of 300,000 accounts."""


def _body(checkpoint: ledger.Checkpoint) -> schemas.CheckpointBody:
    return schemas.CheckpointBody.model_validate(checkpoint.body())


class CheckpointController(Controller):
    path = "/api/books/checkpoint"
    tags = ["books"]
    guards = [roles(Role.ADMIN, Role.AUDITOR), whole_books]

    @get(
        "/",
        summary="The unsigned checkpoint of the books, for an auditor to sign offline",
        description="The books digest and every account's chain head at this moment. Sign the "
        "canonical JSON of this object (keys sorted, no spaces, UTF-8) with Ed25519, e.g. "
        "'passbook checkpoint sign --body FILE', publish the short form, and later send it "
        "to /api/books/checkpoint/verification.",
        responses={
            409: problem_response(
                "The books do not verify (books_broken); a checkpoint vouches only for books "
                "that do. See GET /api/books/verify."
            )
        },
    )
    async def take(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> schemas.CheckpointBody:
        return _body(await tx.read(services.take_checkpoint, principal))

    @post(
        "/verification",
        status_code=200,
        request_max_body_size=MAX_CHECKPOINT_BYTES,
        summary="Do today's books extend a signed checkpoint?",
        description="Checks the signature with the auditor's public key (or the key in the "
        "file, which must have the published fingerprint), then that every checkpointed "
        "account's posting at its checkpointed sequence still has the checkpointed chain "
        "hash. 'rewritten' names each account whose history was rewritten; nothing is saved.",
        responses={
            413: problem_response(
                f"The checkpoint is larger than {MAX_CHECKPOINT_BYTES} bytes; check it with "
                "'passbook verify --checkpoint FILE' on the books' server instead."
            ),
            422: problem_response(
                "The request is malformed, the checkpoint was altered (invalid_checkpoint), or "
                "its signature does not verify with the trusted key "
                "(checkpoint_signature_invalid)."
            ),
        },
    )
    async def verification(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.CheckpointVerificationIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.CheckpointVerification:
        signed = ledger.SignedCheckpoint(
            data.signed.checkpoint.model_dump(), data.signed.signature, data.signed.public_key
        )
        report = await tx.read(
            services.check_checkpoint,
            principal,
            signed=signed,
            public_key=data.public_key,
            fingerprint=data.fingerprint,
        )
        locale = reader_locale(request)
        return schemas.CheckpointVerification(
            ok=report.ok,
            extends=report.extends,
            taken_at=report.taken_at,
            books_digest=report.digest,
            accounts=report.accounts,
            fingerprint=ledger.fingerprint(data.public_key or signed.public_key),
            rewritten=[
                schemas.RewrittenAccount(
                    account_id=r.account_id,
                    kind=r.kind,
                    owner_ref=r.owner_ref,
                    reason=i18n.render(r.reason, locale),
                )
                for r in report.rewritten[:1000]
            ],
            books=verify_report(report.books, locale),
        )


ROUTES: list[Any] = [CheckpointController]
