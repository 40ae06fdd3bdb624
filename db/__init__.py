"""Database plumbing shared by every domain package: one metadata, engines, transactions.

Invariants this package protects:

* every constraint has a stable name (``NAMING_CONVENTION``), so errors are mapped by name,
  never by message text;
* a write transaction on SQLite begins with ``BEGIN IMMEDIATE`` (a deferred transaction that
  later upgrades to a writer fails at once with SQLITE_BUSY), runs in WAL mode with
  ``synchronous=FULL`` and foreign keys on;
* a :func:`single_read` sends its statement alone (no BEGIN, no ROLLBACK) on either database,
  so it sees the last commit and, under WAL, waits for no writer;
* leaving a :func:`transaction` block without an exception commits, any exception rolls back,
  and a failed commit raises before the caller can report success.

Nothing here connects at import time; engines are made by :func:`create_engine` from settings.
"""

from db import _throttle as throttles
from db._backup import BackupError, backup, restore
from db._canary import CANARY_VARIABLE, RACE_WINDOW_SECONDS, SAFEGUARDS, safeguard_removed
from db._domain_error import Category, DomainError, InvalidRequest, Retryable
from db._engine import Dialect, create_engine, dialect_of
from db._errors import constraint_name, is_transient, is_unavailable
from db._exclusive import exclusive
from db._metadata import NAMING_CONVENTION, Base, metadata
from db._pages import Page, fetch_size, page_of
from db._transaction import (
    Connection,
    Transactions,
    read_transaction,
    run_in_transaction,
    single_read,
    single_write,
    transaction,
)
from db._types import Id, UtcDateTime

__all__ = [
    "CANARY_VARIABLE",
    "NAMING_CONVENTION",
    "RACE_WINDOW_SECONDS",
    "SAFEGUARDS",
    "BackupError",
    "Base",
    "Category",
    "Connection",
    "Dialect",
    "DomainError",
    "Id",
    "InvalidRequest",
    "Page",
    "Retryable",
    "Transactions",
    "UtcDateTime",
    "backup",
    "constraint_name",
    "create_engine",
    "dialect_of",
    "exclusive",
    "fetch_size",
    "is_transient",
    "is_unavailable",
    "metadata",
    "page_of",
    "read_transaction",
    "restore",
    "run_in_transaction",
    "safeguard_removed",
    "single_read",
    "single_write",
    "throttles",
    "transaction",
]
