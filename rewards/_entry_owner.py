"""The entries the exchange owns, named for the generic reversal, which refuses them.

Invariant: a used voucher's settlement (its hold settled into the merchant's account) stands
while the voucher says used and the merchant's settlement counts it; reversing it alone would
pay the points back and leave the voucher used.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from i18n import _
from rewards._codes import grouped
from rewards._tables import merchant, voucher


async def entry_owner(conn: AsyncConnection, entry_id: int) -> ledger.EntryOwner | None:
    """The used voucher ``entry_id`` belongs to, if any."""
    row = (
        await conn.execute(
            select(
                voucher.c.id, voucher.c.code, voucher.c.redemption_id, merchant.c.code.label("m")
            )
            .join(merchant, merchant.c.id == voucher.c.merchant_id)
            .where(voucher.c.settle_entry_id == entry_id)
        )
    ).first()
    if row is None:
        return None
    what = (
        _(
            "the use of voucher {code} (from redemption {redemption_id}) at merchant {merchant}",
            code=grouped(row.code),
            redemption_id=row.redemption_id,
            merchant=row.m,
        )
        if row.redemption_id
        else _(
            "the use of voucher {code} (from a ballot) at merchant {merchant}",
            code=grouped(row.code),
            merchant=row.m,
        )
    )
    return ledger.EntryOwner(
        "voucher",
        row.id,
        what,
        _(
            "a used voucher stays used and its merchant's settlement counts it; no request "
            "undoes a scan"
        ),
    )
