"""Use cases of checkpoints: an auditor takes the books' chain heads at a moment, signs them
offline with a key only the auditor holds, publishes a short form, and later checks that
today's books extend the signed checkpoint.

Who: admins and auditors scoped to the street (the whole book), as for verifying the books,
and the command line's operator. The signature is checked before the books are read; a bad
signature or a key that is not the published one is refused, never reported as a pass.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import ledger
from access import Principal, Role


async def take_checkpoint(
    conn: AsyncConnection, principal: Principal, *, now: datetime | None = None
) -> ledger.Checkpoint:
    """The unsigned checkpoint of the books as they are: the books digest and every account's
    chain head. Refuses books that do not verify (``books_broken``)."""
    access.require_role(principal, Role.ADMIN, Role.AUDITOR)
    access.require_whole_books(principal)
    return await ledger.make_checkpoint(conn, now=now)


async def check_checkpoint(
    conn: AsyncConnection,
    principal: Principal,
    *,
    signed: ledger.SignedCheckpoint,
    public_key: str | None = None,
    fingerprint: str | None = None,
) -> ledger.CheckpointReport:
    """Whether today's books extend a signed checkpoint, naming every account whose history
    before it was rewritten. The signature must verify with ``public_key`` (PEM or hex) or,
    without one, with the key recorded in the file, which must then have ``fingerprint``
    (the published one) if that is given. Refuses a malformed or altered checkpoint
    (``invalid_checkpoint``) and a signature that does not verify
    (``checkpoint_signature_invalid``)."""
    access.require_role(principal, Role.ADMIN, Role.AUDITOR)
    access.require_whole_books(principal)
    checkpoint = ledger.check_signature(
        signed, public_key=public_key, expected_fingerprint=fingerprint
    )
    return await ledger.verify_checkpoint(conn, checkpoint)


__all__ = ["check_checkpoint", "take_checkpoint"]
