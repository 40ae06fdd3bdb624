"""The entries grants own, named for the generic reversal, which refuses them.

Invariant: a confirmed grant names its one entry, and the entry stands while the grant says
confirmed; reversing it alone would leave the grant (and the one-opening rule) saying the
points are there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from community._tables import points_grant, volunteer


async def entry_owner(conn: AsyncConnection, entry_id: int) -> ledger.EntryOwner | None:
    """The grant ``entry_id`` belongs to, if any."""
    g = points_grant
    row = (
        await conn.execute(
            select(g.c.id, g.c.kind, volunteer.c.passbook_number)
            .join(volunteer, volunteer.c.id == g.c.volunteer_id)
            .where(g.c.entry_id == entry_id)
        )
    ).first()
    if row is None:
        return None
    what = "opening balance" if row.kind == "opening" else "adjustment"
    return ledger.EntryOwner(
        "points_grant",
        row.id,
        f"the {what} of passbook {row.passbook_number}, confirmed as grant {row.id}",
        "a confirmed grant stands (no request takes its points back yet); if it was too "
        "little, propose an adjustment for what it misses at POST /api/passbooks/"
        f"{row.passbook_number}/adjustments",
    )
