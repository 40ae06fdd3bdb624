"""Which entries belong to something outside the ledger.

Invariant: an entry that another table records (a sheet's approval, a sheet line's
correction, a bonus, a grant, a used voucher, a settled hold) is that record's to correct; the
generic reversal takes only entries no table records, so a record and its points never
disagree. The packages that own such records name them (``entry_owner`` in ``council``,
``community`` and ``rewards``); :func:`entry_references` finds every record by the schema's
foreign keys to ``ledger_entry.id``, so a new table that records entries is refused too before
anyone writes its message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from db import metadata
from i18n import Message, _
from ledger._tables import entry, posting


@dataclass(frozen=True, slots=True)
class EntryOwner:
    """What an entry belongs to: ``owner`` is a stable name of the kind of record (its table),
    ``owner_id`` its id, ``what`` says in words what the entry is, ``use_instead`` the request
    that corrects it."""

    owner: str
    owner_id: int
    what: str | Message
    use_instead: str | Message


def recording_columns() -> list[tuple[str, str]]:
    """Every ``(table, column)`` of the schema that records a journal entry, the ledger's own
    links (postings, a reversal naming what it reverses) left out."""
    own = {(posting.name, "entry_id"), (entry.name, "reverses_entry_id")}
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            records = any(fk.column is entry.c.id for fk in column.foreign_keys)
            if records and (table.name, column.name) not in own:
                found.append((table.name, column.name))
    return sorted(found)


async def entry_references(conn: AsyncConnection, entry_id: int) -> list[EntryOwner]:
    """Every record that names ``entry_id``, in general words (the owning package says more)."""
    found = []
    for table_name, column_name in recording_columns():
        table = metadata.tables[table_name]
        key = next(iter(table.primary_key.columns))
        row_id = await conn.scalar(select(key).where(table.c[column_name] == entry_id).limit(1))
        if row_id is not None:
            found.append(
                EntryOwner(
                    owner=table_name,
                    owner_id=int(row_id),
                    what=_(
                        "recorded by {table} {row_id} ({column})",
                        table=table_name,
                        row_id=row_id,
                        column=column_name,
                    ),
                    use_instead=_(
                        "correct it through that {record}", record=table_name.replace("_", " ")
                    ),
                )
            )
    return found
