"""The generic reversal of a journal entry, for entries that belong to no record.

Invariant: an admin reverses (with a reason) only an entry that no record outside the ledger
owns: a sheet's approval, a line's correction, a bonus, a grant's entry, a used voucher's
settlement are refused (409 ``entry_belongs_to``) naming the record and the request that
corrects it, because reversing one alone would leave the record saying its points stand and
its own correction would take them again. The owners are asked in every package that records
entries (``council``, ``community``, ``rewards``), and the schema's foreign keys to
``ledger_entry.id`` catch any record none of them names. It lives here because it must ask
them all.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import council
import ledger
import rewards
from access import Forbidden, Principal, Role
from community.services import ShownEntry, show_entry
from i18n import _
from ledger.errors import EntryBelongsTo

_OWNERS = (council.entry_owner, community.entry_owner, rewards.entry_owner)


async def entry_owner(conn: AsyncConnection, entry_id: int) -> ledger.EntryOwner | None:
    """The record ``entry_id`` belongs to, in its package's words; any other record that names
    it in general words; None if it belongs to none."""
    for owner_of in _OWNERS:
        if (owner := await owner_of(conn, entry_id)) is not None:
            return owner
    found = await ledger.entry_references(conn, entry_id)
    return found[0] if found else None


async def reverse_entry(
    conn: AsyncConnection,
    principal: Principal,
    *,
    entry_id: int,
    reason: str,
    idempotency_key: str,
    now: datetime | None = None,
) -> ShownEntry:
    """Correct a mistaken entry that belongs to no record by posting its reversal, recorded
    with who did it and why. Sent again with the same key, it returns the reversal posted.

    Who: an admin who may see every account the entry touches (one of a unit above them
    all). Refuses an entry a record owns (:class:`ledger.errors.EntryBelongsTo`, saying what
    to do instead); the ledger refuses a second reversal, the reversal of a reversal, one that
    would overdraw a passbook and one that would take lifetime earned below zero."""
    access.require_role(principal, Role.ADMIN)
    original = await ledger.load_entry(conn, ledger.EntryId(entry_id))
    visible = await access.can_see_accounts(
        conn, principal, [p.account_id for p in original.postings]
    )
    if not all(visible.values()):
        raise Forbidden(
            _(
                "Entry {entry_id} touches accounts outside this token's scope; an "
                "admin of a unit above them all must reverse it.",
                entry_id=entry_id,
            )
        )
    if (owner := await entry_owner(conn, entry_id)) is not None:
        raise EntryBelongsTo(
            entry_id,
            owner=owner.owner,
            owner_id=owner.owner_id,
            what=owner.what,
            use_instead=owner.use_instead,
        )
    reversal = await ledger.reverse_entry(
        conn,
        entry_id=ledger.EntryId(entry_id),
        idempotency_key=idempotency_key,
        actor=principal.actor,
        memo=reason,
        now=now,
    )
    shown = await show_entry(conn, principal, reversal)
    return dataclasses.replace(shown, entry=reversal)
