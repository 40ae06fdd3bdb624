"""Reading driver errors by constraint name and by SQLSTATE, never by message wording.

SQLite names CHECK constraints in its messages but reports UNIQUE violations by column list
(``UNIQUE constraint failed: t.a, t.b``); the metadata turns that back into the constraint name.
"""

from __future__ import annotations

import re

from sqlalchemy import MetaData, UniqueConstraint
from sqlalchemy.exc import DBAPIError, InterfaceError

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>[\w., ]+)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}
# admin_shutdown, crash_shutdown, cannot_connect_now; class 08 is "connection exception"
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03"}


def constraint_name(error: DBAPIError, metadata: MetaData) -> str | None:
    """The name of the constraint ``error`` violated, if the driver tells."""
    cause = getattr(error.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None)
    if isinstance(name, str):
        return name
    message = str(error.orig)
    if match := _SQLITE_CHECK.search(message):
        return match["name"]
    if match := _SQLITE_UNIQUE.search(message):
        return _unique_by_columns(match["cols"], metadata)
    return None


def _unique_by_columns(cols: str, metadata: MetaData) -> str | None:
    qualified = [c.strip() for c in cols.split(",")]
    table_name = qualified[0].split(".")[0]
    wanted = {c.split(".")[1] for c in qualified}
    table = metadata.tables.get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if (
            isinstance(constraint, UniqueConstraint)
            and {c.name for c in constraint.columns} == wanted
        ):
            return str(constraint.name)
    for index in table.indexes:
        if index.unique and {c.name for c in index.columns} == wanted:
            return str(index.name)
    return None


def is_transient(error: BaseException) -> bool:
    """Whether retrying the whole transaction may succeed (deadlock, serialization, busy, or
    a connection the server dropped)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = getattr(error.orig, "__cause__", None)
    if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached (refused, dropped, shutting
    down or starting up), as opposed to a mistake in the request or in the code."""
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    if isinstance(error.orig, ConnectionError | TimeoutError):
        return True
    sqlstate = getattr(getattr(error.orig, "__cause__", None), "sqlstate", None)
    return isinstance(sqlstate, str) and (
        sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate.startswith("08")
    )
