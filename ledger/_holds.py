"""Two-phase holds: points reserved now, then settled (in full or part), released or expired.

Invariants protected here:

* held points are never available: ``account.held`` is the sum of the account's open holds;
* a hold is placed only on points that are available, by one conditional update of the
  account that the database decides, so two holds at once never reserve the same points;
* a hold closes exactly once: the close is a conditional update ``WHERE status = 'held'``
  that the database checks, so two concurrent closes give one winner;
* a hold past its expiry is never settled, even before the expiry sweep has run;
* locks are taken hold first, then accounts in id order, everywhere.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Row, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from db import constraint_name, metadata
from i18n import _
from ledger._entry_checks import check_key, check_text, request_digest
from ledger._posting import as_replayed, load_entry, lock_accounts, write_entry
from ledger._tables import account, entry, hold
from ledger._types import MAX_POINTS, AccountId, Entry, EntryId, Hold, HoldId, HoldStatus, Leg
from ledger.errors import (
    AccountNotFound,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    IdempotencyConflict,
    IdempotencyRace,
    InsufficientPoints,
    InvalidEntry,
)


async def place_hold(
    conn: AsyncConnection,
    *,
    account_id: AccountId,
    amount: int,
    expires_at: datetime,
    idempotency_key: str,
    actor: str,
    memo: str = "",
    now: datetime | None = None,
    fresh_key: bool = False,
) -> Hold:
    """Reserve ``amount`` points of ``account_id`` until ``expires_at``. Placing it again with
    its key answers the same hold; with another request, the key is refused.

    ``fresh_key`` is for a caller whose key names something it made in this transaction (a new
    voucher's code), so no hold can have it yet: the lookup by key is left out, and the
    database's unique key still refuses a reuse (:class:`IdempotencyRace`)."""
    now = now or datetime.now(UTC)
    check_key(idempotency_key)
    check_text(kind="hold", memo=memo, actor=actor)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_POINTS:
        raise InvalidEntry(
            _("A hold is a positive whole number of points; got {amount!r}.", amount=amount)
        )
    if expires_at <= now:
        raise InvalidEntry(_("A hold must expire in the future."))
    digest = request_digest("hold", account_id, amount, expires_at.isoformat(), memo)
    if not fresh_key:
        existing = (
            await conn.execute(select(hold).where(hold.c.idempotency_key == idempotency_key))
        ).first()
        if existing is not None:
            if existing.request_digest != digest:
                raise IdempotencyConflict(idempotency_key)
            return _hold(existing, replayed=True)

    await _reserve(conn, account_id, amount)
    try:
        placed = (
            await conn.execute(
                hold.insert()
                .values(
                    account_id=account_id,
                    amount=amount,
                    status=HoldStatus.HELD,
                    memo=memo,
                    actor=actor,
                    created_at=now,
                    expires_at=expires_at,
                    idempotency_key=idempotency_key,
                    request_digest=digest,
                )
                .returning(*hold.c)
            )
        ).one()
    except IntegrityError as error:
        if constraint_name(error, metadata) == "uq_ledger_hold_idempotency_key":
            raise IdempotencyRace(idempotency_key) from error
        raise
    return _hold(placed)


async def _reserve(conn: AsyncConnection, account_id: AccountId, amount: int) -> None:
    """Add ``amount`` to the account's held points if its available balance covers it (or it
    may go below zero): one conditional UPDATE, which locks the account's row and which the
    database decides, so two holds at once can never reserve the same points twice."""
    reserved = await conn.execute(
        update(account)
        .where(
            account.c.id == account_id,
            or_(account.c.allow_negative, account.c.posted - account.c.held >= amount),
        )
        .values(held=account.c.held + amount)
    )
    if reserved.rowcount == 1:
        return
    found = (
        await conn.execute(
            select(account.c.posted, account.c.held).where(account.c.id == account_id)
        )
    ).first()
    if found is None:
        raise AccountNotFound([account_id])
    available = found.posted - found.held
    raise InsufficientPoints(account_id, available, amount, action=_("Holding these points"))


async def settle_hold(
    conn: AsyncConnection,
    *,
    hold_id: HoldId,
    to_account_id: AccountId,
    idempotency_key: str,
    actor: str,
    amount: int | None = None,
    kind: str = "settlement",
    memo: str = "",
    now: datetime | None = None,
) -> tuple[Hold, Entry]:
    """Turn a hold into an entry moving ``amount`` (default: all) of its points to
    ``to_account_id``; any rest is released. Replaying the key returns the same entry."""
    now = now or datetime.now(UTC)
    check_key(idempotency_key)
    check_text(kind=kind, memo=memo, actor=actor)
    digest = request_digest("settle", hold_id, to_account_id, amount, kind, memo)
    current = await _load_for_close(conn, hold_id)
    if current.status != HoldStatus.HELD:
        if current.close_key == idempotency_key and current.status == HoldStatus.SETTLED:
            stored = await conn.scalar(
                select(entry.c.request_digest).where(entry.c.id == current.settle_entry_id)
            )
            if stored != digest:
                raise IdempotencyConflict(idempotency_key)
            settled = await load_entry(conn, EntryId(current.settle_entry_id))
            return _hold(current, replayed=True), as_replayed(settled)
        raise HoldNotOpen(hold_id, current.status)
    if current.expires_at <= now:
        raise HoldExpired(hold_id, current.expires_at)
    take = current.amount if amount is None else amount
    if not isinstance(take, int) or isinstance(take, bool) or not 0 < take <= current.amount:
        raise InvalidEntry(
            _(
                "A hold of {amount} points settles for 1 to {amount} points; got {take!r}.",
                amount=current.amount,
                take=take,
            )
        )
    if to_account_id == current.account_id:
        raise InvalidEntry(
            _("Hold {hold_id} cannot be settled into the account that holds it.", hold_id=hold_id)
        )
    # A key already used by another entry is refused by write_entry as a conflict: the
    # settlement's request digest names this hold, which is still open.
    posted = await write_entry(
        conn,
        idempotency_key=idempotency_key,
        request_digest=digest,
        kind=kind,
        legs=[Leg(AccountId(current.account_id), -take), Leg(to_account_id, take)],
        actor=actor,
        memo=memo,
        effective_date=None,
        held_release={AccountId(current.account_id): current.amount},
        now=now,
        action=_("Settling hold {hold_id}", hold_id=hold_id),
    )
    await _close(conn, current, HoldStatus.SETTLED, now, idempotency_key, take, posted.id)
    # The hold as the close left it, from the locked row and what the close wrote: no read-back.
    closed = replace(
        _hold(current),
        status=HoldStatus.SETTLED,
        settled_amount=take,
        settle_entry_id=posted.id,
        closed_at=now.astimezone(UTC),
    )
    return closed, posted


async def release_hold(
    conn: AsyncConnection,
    *,
    hold_id: HoldId,
    idempotency_key: str,
    now: datetime | None = None,
    status: HoldStatus = HoldStatus.RELEASED,
) -> Hold:
    """Give a hold's points back to its account. Releasing again with the same key answers
    the same; a hold closed any other way is refused."""
    now = now or datetime.now(UTC)
    check_key(idempotency_key)
    current = await _load_for_close(conn, hold_id)
    if current.status != HoldStatus.HELD:
        if current.close_key == idempotency_key and current.status == status:
            return _hold(current, replayed=True)
        raise HoldNotOpen(hold_id, current.status)
    await lock_accounts(conn, [current.account_id])
    await _give_back(conn, current.account_id, current.amount)
    await _close(conn, current, status, now, idempotency_key, None, None)
    return await get_hold(conn, hold_id)


async def expire_holds(
    conn: AsyncConnection, *, now: datetime | None = None, limit: int = 500
) -> list[HoldId]:
    """Release every open hold whose expiry has passed (at most ``limit`` per call)."""
    now = now or datetime.now(UTC)
    query = (
        select(hold.c.id)
        .where(hold.c.status == HoldStatus.HELD, hold.c.expires_at <= now)
        .order_by(hold.c.id)
        .limit(limit)
    )
    due = [HoldId(row) for row in (await conn.scalars(query)).all()]
    expired: list[HoldId] = []
    for hold_id in due:
        current = await _load_for_close(conn, hold_id)
        if current.status == HoldStatus.HELD:
            await lock_accounts(conn, [current.account_id])
            await _give_back(conn, current.account_id, current.amount)
            await _close(conn, current, HoldStatus.EXPIRED, now, f"expiry:{hold_id}", None, None)
            expired.append(hold_id)
    return expired


async def get_hold(conn: AsyncConnection, hold_id: HoldId) -> Hold:
    row = (await conn.execute(select(hold).where(hold.c.id == hold_id))).first()
    if row is None:
        raise HoldNotFound(hold_id)
    return _hold(row)


async def _load_for_close(conn: AsyncConnection, hold_id: HoldId) -> Row[tuple[object, ...]]:
    row = (await conn.execute(select(hold).where(hold.c.id == hold_id).with_for_update())).first()
    if row is None:
        raise HoldNotFound(hold_id)
    return row


async def _give_back(conn: AsyncConnection, account_id: int, amount: int) -> None:
    await conn.execute(
        update(account).where(account.c.id == account_id).values(held=account.c.held - amount)
    )


async def _close(
    conn: AsyncConnection,
    current: Row[tuple[object, ...]],
    status: HoldStatus,
    now: datetime,
    key: str,
    settled_amount: int | None,
    settle_entry_id: int | None,
) -> None:
    try:
        result = await conn.execute(
            update(hold)
            .where(hold.c.id == current.id, hold.c.status == HoldStatus.HELD)
            .values(
                status=status,
                closed_at=now,
                close_key=key,
                settled_amount=settled_amount,
                settle_entry_id=settle_entry_id,
            )
        )
    except IntegrityError as error:
        if constraint_name(error, metadata) == "uq_ledger_hold_close_key":
            raise IdempotencyConflict(key) from error
        raise
    if result.rowcount != 1:
        # The row lock makes this unreachable; the conditional write is the backstop.
        raise HoldNotOpen(current.id, "closed")


def _hold(row: Row[tuple[object, ...]], *, replayed: bool = False) -> Hold:
    return Hold(
        id=HoldId(row.id),
        account_id=AccountId(row.account_id),
        amount=row.amount,
        status=HoldStatus(row.status),
        memo=row.memo,
        actor=row.actor,
        created_at=row.created_at,
        expires_at=row.expires_at,
        idempotency_key=row.idempotency_key,
        settled_amount=row.settled_amount,
        settle_entry_id=EntryId(row.settle_entry_id) if row.settle_entry_id is not None else None,
        closed_at=row.closed_at,
        replayed=replayed,
    )
