"""Bulk writes for filling scratch books fast: a benchmark, a load test.

:func:`open_accounts` opens many accounts in a few statements; each row is exactly what
:func:`ledger.open_account` writes, and opening stays idempotent on (kind, owner_ref).

:func:`load_unchained_entries` appends many one-point entries from one account to another
with INSERT ... SELECT, thousands of times faster than posting them one by one. It keeps what
balances and statements show consistent: the entries, the postings (each account's sequence
without gap, the running balances) and both accounts' kept balances agree, and a non-negative
source is never taken below zero. What it does NOT do is the hash chain: every hash it writes
is zeros, so :func:`ledger.verify_books` reports the loaded postings. It is for scratch books
only, with nobody else posting meanwhile (the new entries take the ids after the largest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import TextClause, bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from db import constraint_name, metadata
from i18n import _
from ledger._entry_checks import check_text
from ledger._posting import earned_delta, lock_accounts, takes_back_earnings
from ledger._tables import GENESIS_HASH, HASH_LENGTH, KEY_LENGTH, account, entry
from ledger._types import MAX_POINTS, AccountId
from ledger.errors import IdempotencyRace, InsufficientPoints, InvalidEntry

__all__ = ["load_unchained_entries", "open_accounts"]

UNCHAINED_HASH = "0" * HASH_LENGTH
"""The hash :func:`load_unchained_entries` writes where a computed one would be."""

_LOOKUP_CHUNK = 500
# Room left in an idempotency key for the entry id load_unchained_entries appends to it.
_ID_DIGITS = 20


async def open_accounts(
    conn: AsyncConnection,
    *,
    kind: str,
    owner_refs: Sequence[str],
    allow_negative: bool = False,
    now: datetime | None = None,
) -> list[AccountId]:
    """The accounts of ``owner_refs`` of this ``kind``, in the same order, those that do not
    exist yet opened now, many rows to a statement.

    Like :func:`ledger.open_account` it is idempotent on (kind, owner_ref) and never changes
    the balance policy of an account that exists already; an owner named twice gets one
    account. A concurrent opener of the same account makes it raise ``IdempotencyRace``.
    """
    if not kind or len(kind) > 32:
        raise InvalidEntry(_("An account needs a kind (1-32 characters) and an owner (1-128)."))
    if any(not owner or len(owner) > 128 for owner in owner_refs):
        raise InvalidEntry(_("An account needs a kind (1-32 characters) and an owner (1-128)."))
    wanted = list(dict.fromkeys(owner_refs))
    found: dict[str, AccountId] = {}
    for first in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[first : first + _LOOKUP_CHUNK]
        rows = await conn.execute(
            select(account.c.owner_ref, account.c.id).where(
                account.c.kind == kind, account.c.owner_ref.in_(chunk)
            )
        )
        found.update((row.owner_ref, AccountId(row.id)) for row in rows)
    missing = [owner for owner in wanted if owner not in found]
    if missing:
        opened_at = now or datetime.now(UTC)
        try:
            new_ids = await conn.scalars(
                account.insert().returning(account.c.id, sort_by_parameter_order=True),
                [
                    {
                        "kind": kind,
                        "owner_ref": owner,
                        "allow_negative": allow_negative,
                        "posted": 0,
                        "held": 0,
                        "lifetime_earned": 0,
                        "posting_count": 0,
                        "head_hash": GENESIS_HASH,
                        "created_at": opened_at,
                    }
                    for owner in missing
                ],
            )
        except IntegrityError as error:
            if constraint_name(error, metadata) == "uq_ledger_account_kind_owner_ref":
                raise IdempotencyRace(f"{kind}:{missing[0]}") from error
            raise
        found.update(zip(missing, (AccountId(i) for i in new_ids), strict=True))
    return [found[owner] for owner in owner_refs]


async def load_unchained_entries(
    conn: AsyncConnection,
    *,
    source: AccountId,
    target: AccountId,
    entries: int,
    kind: str,
    actor: str,
    key_prefix: str,
    now: datetime | None = None,
) -> None:
    """Append ``entries`` entries, each moving 1 point from ``source`` to ``target``, in the
    caller's transaction, without computing the hash chain (see the module's docstring).

    Each entry's idempotency key is ``key_prefix`` followed by its id. Call it once per chunk,
    in a transaction each, to keep transactions small: the sequences and running balances
    carry on from whatever the accounts hold. Refuses (nothing written) a non-negative source short
    of ``entries`` points, a balance past the largest allowed, and malformed arguments.
    """
    if isinstance(entries, bool) or not isinstance(entries, int) or entries < 1:
        raise InvalidEntry(_("At least one entry is loaded; got {entries!r}.", entries=entries))
    if source == target:
        raise InvalidEntry(
            _("Account {source} cannot pay itself; name two accounts.", source=source)
        )
    check_text(kind=kind, memo="", actor=actor)
    if not key_prefix.strip() or len(key_prefix) + _ID_DIGITS > KEY_LENGTH:
        raise InvalidEntry(
            _("A key prefix of 1 to {most} characters is required.", most=KEY_LENGTH - _ID_DIGITS)
        )
    locked = await lock_accounts(conn, sorted({source, target}))
    paying, paid = locked[source], locked[target]
    available = paying.posted - paying.held
    if not paying.allow_negative and available < entries:
        raise InsufficientPoints(
            paying.id, available, entries, action=_("Loading {entries:,} entries", entries=entries)
        )
    if abs(paying.posted - entries) > MAX_POINTS or abs(paid.posted + entries) > MAX_POINTS:
        raise InvalidEntry(_("The load would take an account past the largest balance allowed."))

    now = now or datetime.now(UTC)
    base = int(await conn.scalar(select(func.coalesce(func.max(entry.c.id), 0))) or 0)
    postgres = conn.dialect.name == "postgresql"
    await conn.execute(
        _entries_sql(postgres),
        {
            "lo": 1,
            "hi": entries,
            "base": base,
            "kind": kind,
            "actor": actor,
            "now": now,
            "today": now.date(),
            "prefix": key_prefix,
            "zero": UNCHAINED_HASH,
        },
    )
    is_reversal = takes_back_earnings(kind, None)
    for row, amount in ((paid, 1), (paying, -1)):
        await conn.execute(
            _postings_sql(postgres),
            {
                "lo": 1,
                "hi": entries,
                "base": base,
                "account": row.id,
                "amount": amount,
                "seq0": row.posting_count,
                "posted0": row.posted,
                "zero": UNCHAINED_HASH,
            },
        )
        await conn.execute(
            update(account)
            .where(account.c.id == row.id)
            .values(
                posted=row.posted + amount * entries,
                lifetime_earned=row.lifetime_earned + earned_delta(amount * entries, is_reversal),
                posting_count=row.posting_count + entries,
                head_hash=UNCHAINED_HASH,
            )
        )
    if postgres:
        # The ids were given, not drawn: move the sequence past them for the next post_entry.
        await conn.execute(
            text("SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), :last)"),
            {"last": base + entries},
        )


def _series(postgres: bool) -> tuple[str, str]:
    """The integers :lo to :hi as rows ``g(n)``: a prefix for the statement, and its FROM."""
    if postgres:
        return "", "generate_series(CAST(:lo AS BIGINT), CAST(:hi AS BIGINT)) AS g(n)"
    return "WITH RECURSIVE g(n) AS (SELECT :lo UNION ALL SELECT n + 1 FROM g WHERE n < :hi) ", "g"


def _entries_sql(postgres: bool) -> TextClause:
    prefix, rows = _series(postgres)
    return text(
        # Only the fixed fragments of _series are interpolated; every value is a parameter.
        f"{prefix}INSERT INTO ledger_entry (id, kind, memo, actor, created_at, effective_date,"  # noqa: S608
        " reverses_entry_id, idempotency_key, request_digest, posting_count, entry_hash)"
        " SELECT CAST(:base AS BIGINT) + g.n, :kind, '', :actor, :now, :today, NULL,"
        " CAST(:prefix AS VARCHAR) || CAST(CAST(:base AS BIGINT) + g.n AS VARCHAR), :zero, 2,"
        f" :zero FROM {rows}"
    ).bindparams(
        bindparam("now", type_=entry.c.created_at.type),
        bindparam("today", type_=entry.c.effective_date.type),
    )


def _postings_sql(postgres: bool) -> TextClause:
    prefix, rows = _series(postgres)
    return text(
        f"{prefix}INSERT INTO ledger_posting"  # noqa: S608 (fixed fragments, values are parameters)
        " (entry_id, account_id, amount, balance_after, account_seq, chain_hash)"
        " SELECT CAST(:base AS BIGINT) + g.n, CAST(:account AS BIGINT), CAST(:amount AS BIGINT),"
        " CAST(:posted0 AS BIGINT) + CAST(:amount AS BIGINT) * g.n,"
        f" CAST(:seq0 AS BIGINT) + g.n, :zero FROM {rows}"
    )
