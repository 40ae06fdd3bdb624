"""The books row: which street these books keep and whether they are real or the demo.

Invariant: there is at most one row (the database checks ``id = 1``), written once when the
books are opened, by ``passbook init`` (``real``) or by loading the demo (``demo``), and never
changed: real books never turn into a demo, nor a demo into real books.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from community._tables import books

BooksKind = Literal["real", "demo"]


async def books_kind(conn: AsyncConnection) -> BooksKind | None:
    """``'real'`` for books opened with ``passbook init``, ``'demo'`` for the demo, None for
    books not opened yet (an empty database, or one from before the books row existed)."""
    kind = await conn.scalar(select(books.c.kind).where(books.c.id == 1))
    if kind is None:
        return None
    return "real" if kind == "real" else "demo"


async def record_books(
    conn: AsyncConnection, *, kind: BooksKind, street_id: int, opened_by: str, now: datetime
) -> None:
    """Write the books row (the caller has checked that there is none yet; a concurrent
    opener makes the insert fail on the row's key)."""
    await conn.execute(
        books.insert().values(
            id=1, kind=kind, street_id=street_id, opened_at=now, opened_by=opened_by
        )
    )


__all__ = ["BooksKind", "books_kind", "record_books"]
