"""Checkpoints: what the books looked like at one moment, so that an outsider can later prove
history before it was not rewritten.

A checkpoint holds the books digest (as :func:`ledger.verify_books` computes it) and every
account's chain head: its id, kind, owner, posting count (the sequence number of its last
posting) and the chain hash of that posting. It is made only of books that verify, inside one
read transaction. Its canonical form (sorted-key JSON, no spaces, UTF-8) is what an auditor
signs (:mod:`ledger._signing`).

Today's books *extend* a checkpoint when every checkpointed account still exists with the same
kind and owner, has at least as many postings, and its posting at the checkpointed sequence
still carries the checkpointed chain hash. Since each chain hash covers the one before it, an
unchanged hash at sequence *n* means postings 1..n are as they were; a rewrite that recomputed
every hash consistently (which plain verify cannot see) changes that hash and is named here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from i18n import Message, _
from ledger._chain import canonical_time
from ledger._tables import GENESIS_HASH, account, posting
from ledger._verify import VerifyReport, verify_books
from ledger.errors import BooksBroken, InvalidCheckpoint

CHECKPOINT_VERSION = 1
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ChainHead:
    """An account's chain head: ``seq`` postings, the last with chain hash ``head``
    (``GENESIS_HASH`` when it has none)."""

    account_id: int
    kind: str
    owner_ref: str
    seq: int
    head: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The unsigned checkpoint: the books at ``taken_at`` (UTC, naive ISO in the body)."""

    taken_at: str
    digest: str
    heads: tuple[ChainHead, ...]

    def body(self) -> dict[str, Any]:
        """The checkpoint as the JSON object that is signed and published."""
        return {
            "version": CHECKPOINT_VERSION,
            "taken_at": self.taken_at,
            "books_digest": self.digest,
            "accounts": [
                {
                    "id": h.account_id,
                    "kind": h.kind,
                    "owner_ref": h.owner_ref,
                    "seq": h.seq,
                    "head": h.head,
                }
                for h in self.heads
            ],
        }


@dataclass(frozen=True, slots=True)
class Rewritten:
    """A checkpointed account that today's books do not extend, and why."""

    account_id: int
    kind: str
    owner_ref: str
    reason: str | Message

    def __str__(self) -> str:
        return str(self.said())

    def said(self) -> Message:
        """The account and why, as one message (``str()`` is its English)."""
        return _(
            "account {account_id} ({kind} {owner_ref}): {reason}",
            account_id=self.account_id,
            kind=self.kind,
            owner_ref=self.owner_ref,
            reason=self.reason,
        )


@dataclass
class CheckpointReport:
    """Whether today's books extend a checkpoint (``extends``) and still verify on their own
    (``books.ok``); ``ok`` needs both."""

    taken_at: str
    digest: str
    accounts: int
    books: VerifyReport
    rewritten: list[Rewritten] = field(default_factory=list)

    @property
    def extends(self) -> bool:
        return not self.rewritten

    @property
    def ok(self) -> bool:
        return self.extends and self.books.ok


def canonical_bytes(body: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidCheckpoint(
            _("The checkpoint holds text that is not valid Unicode.")
        ) from error


def books_digest(heads: Iterable[ChainHead]) -> str:
    """The books digest of these heads, exactly as :func:`ledger.verify_books` computes it."""
    digest = hashlib.sha256()
    for h in sorted(heads, key=lambda h: h.account_id):
        digest.update(f"{h.account_id}:{h.seq}:{h.head};".encode())
    return digest.hexdigest()


async def make_checkpoint(conn: AsyncConnection, *, now: datetime | None = None) -> Checkpoint:
    """A checkpoint of the books as they are; run it in one read transaction. Refuses books
    that do not verify (:class:`BooksBroken`): a checkpoint vouches for verified history only."""
    report = await verify_books(conn)
    if not report.ok:
        raise BooksBroken(len(report.problems), report.first_broken_entry)
    rows = await conn.execute(
        select(
            account.c.id, account.c.kind, account.c.owner_ref,
            account.c.posting_count, account.c.head_hash,
        ).order_by(account.c.id)
    )  # fmt: skip
    heads = tuple(ChainHead(r.id, r.kind, r.owner_ref, r.posting_count, r.head_hash) for r in rows)
    # In one read transaction the heads are those verify just checked: the digests agree.
    return Checkpoint(canonical_time(now or datetime.now(UTC)), books_digest(heads), heads)


def checkpoint_from_body(body: dict[str, Any]) -> Checkpoint:
    """Read a checkpoint body back, refusing one that is malformed or whose digest does not
    match its own heads (:class:`InvalidCheckpoint`)."""
    try:
        if body["version"] != CHECKPOINT_VERSION:
            raise InvalidCheckpoint(
                _(
                    "This checkpoint is version {version!r}; this program reads version "
                    "{checkpoint_version}.",
                    version=body["version"],
                    checkpoint_version=CHECKPOINT_VERSION,
                )
            )
        heads = tuple(
            ChainHead(int(a["id"]), str(a["kind"]), str(a["owner_ref"]), int(a["seq"]), a["head"])
            for a in body["accounts"]
        )
        checkpoint = Checkpoint(str(body["taken_at"]), str(body["books_digest"]), heads)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidCheckpoint(
            _("The checkpoint is malformed ({error!s}).", error=error)
        ) from error
    if any(not isinstance(h.head, str) or len(h.head) != len(GENESIS_HASH) for h in heads):
        raise InvalidCheckpoint(
            _("The checkpoint has a chain head that is not a SHA-256 hex hash.")
        )
    if len({h.account_id for h in heads}) != len(heads):
        raise InvalidCheckpoint(_("The checkpoint names an account twice."))
    if books_digest(heads) != checkpoint.digest:
        raise InvalidCheckpoint(
            _("The checkpoint's books digest does not match its own chain heads; it was altered.")
        )
    return checkpoint


async def verify_checkpoint(conn: AsyncConnection, checkpoint: Checkpoint) -> CheckpointReport:
    """Do today's books extend ``checkpoint``? Names every checkpointed account whose posting
    at the checkpointed sequence no longer has the checkpointed chain hash, whose posting count
    went down, whose kind or owner changed, or that is gone; and verifies the books as a whole
    (every chain after the checkpoint must be intact too)."""
    report = CheckpointReport(
        checkpoint.taken_at, checkpoint.digest, len(checkpoint.heads), await verify_books(conn)
    )
    heads = sorted(checkpoint.heads, key=lambda h: h.account_id)
    for start in range(0, len(heads), _CHUNK):
        chunk = heads[start : start + _CHUNK]
        rows = await conn.execute(
            select(account.c.id, account.c.kind, account.c.owner_ref, account.c.posting_count)
            .where(account.c.id.in_([h.account_id for h in chunk]))
        )  # fmt: skip
        today = {r.id: r for r in rows}
        wanted = [(h.account_id, h.seq) for h in chunk if h.seq > 0]
        links: dict[tuple[int, int], str] = {}
        if wanted:
            found = await conn.execute(
                select(posting.c.account_id, posting.c.account_seq, posting.c.chain_hash).where(
                    tuple_(posting.c.account_id, posting.c.account_seq).in_(wanted)
                )
            )
            links = {(r.account_id, r.account_seq): r.chain_hash for r in found}
        for h in chunk:
            reason = _why_not_extended(h, today.get(h.account_id), links)
            if reason is not None:
                report.rewritten.append(Rewritten(h.account_id, h.kind, h.owner_ref, reason))
    return report


def _why_not_extended(h: ChainHead, row: Any, links: dict[tuple[int, int], str]) -> Message | None:
    if row is None:
        return _("the account is gone")
    if (row.kind, row.owner_ref) != (h.kind, h.owner_ref):
        return _("the account is now {kind} {owner_ref}", kind=row.kind, owner_ref=row.owner_ref)
    if row.posting_count < h.seq:
        return _(
            "has {count} postings, the checkpoint saw {seen}", count=row.posting_count, seen=h.seq
        )
    if h.seq == 0:
        return None if h.head == GENESIS_HASH else _("the checkpoint's empty chain has a head")
    link = links.get((h.account_id, h.seq))
    if link is None:
        return _("posting {seq} is gone", seq=h.seq)
    if link != h.head:
        return _(
            "posting {seq} no longer has the checkpointed chain hash: history was rewritten",
            seq=h.seq,
        )
    return None
