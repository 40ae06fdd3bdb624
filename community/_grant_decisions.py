"""Deciding on proposed grants: a second person confirms one (or a whole batch), which posts it,
or anyone allowed rejects it, the proposer included (a withdrawal).

Invariants (see :mod:`community._grants` for the whole set; the database backs the ones
marked *): the proposer never confirms*; confirming posts one entry* with the key
``grant:<id>``, so confirming again posts nothing and answers the grant (``replayed``); only a
proposed grant is confirmed or rejected; a moved-away volunteer's grant is not confirmed. Lock
order, every time: the volunteers' rows (by id; the caller takes them), then the grants' rows
(by id), then the ledger's accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import ledger
import observe
from community._grants import MAX_REASON, Grant, GrantStatus, get_grant, grant_memo
from community._org_units import find_org_unit
from community._tables import points_grant, volunteer
from community.errors import (
    GrantFourEyes,
    GrantStateConflict,
    GrantToMovedAway,
    InvalidGrant,
    RegistryError,
)
from db import metadata
from i18n import _


def entry_key(grant_id: int) -> str:
    """The ledger idempotency key of a grant's one entry."""
    return f"grant:{grant_id}"


async def _lock(conn: AsyncConnection, grant_ids: Sequence[int]) -> None:
    await conn.execute(
        select(points_grant.c.id)
        .where(points_grant.c.id.in_(sorted(grant_ids)))
        .order_by(points_grant.c.id)
        .with_for_update()
    )


async def _moved_away(conn: AsyncConnection, grant: Grant) -> bool:
    status = await conn.scalar(
        select(volunteer.c.status).where(volunteer.c.passbook_number == grant.passbook_number)
    )
    return bool(status != "active")


def _refusal(grant: Grant, decider: str, moved_away: bool) -> RegistryError | None:
    """Why ``decider`` may not confirm ``grant`` now (None: they may, or it is confirmed)."""
    if grant.proposer == decider:
        return GrantFourEyes(
            _(
                "You proposed grant {id}; another staff member must confirm it (four eyes).",
                id=grant.id,
            ),
            grant_id=grant.id,
        )
    if grant.status is GrantStatus.REJECTED:
        return GrantStateConflict(
            _(
                "Grant {id} was withdrawn; only a proposed grant is confirmed. Propose "
                "it again if it is right after all.",
                id=grant.id,
            )
            if grant.withdrawn
            else _(
                "Grant {id} was rejected; only a proposed grant is confirmed. Propose "
                "it again if it is right after all.",
                id=grant.id,
            ),
            grant_id=grant.id,
        )
    if grant.status is GrantStatus.PROPOSED and moved_away:
        return GrantToMovedAway(
            _(
                "Grant {id} is for a volunteer who has moved away since; a moved-away "
                "volunteer gets no grant. Reject it, or make them active again first.",
                id=grant.id,
            ),
            grant_id=grant.id,
        )
    return None


async def confirm_grants(
    conn: AsyncConnection,
    *,
    grant_ids: Sequence[int],
    decider: str,
    actor: str,
    now: datetime | None = None,
) -> list[Grant]:
    """Confirm every one of ``grant_ids`` or none: each posts its entry. Those confirmed
    already are answered as they are (``replayed``). If any may not be confirmed, the refusal
    is that of the first, with ``problems`` naming every one (grant, code, problem)."""
    now = now or datetime.now(UTC)
    await _lock(conn, grant_ids)
    grants = [await get_grant(conn, grant_id) for grant_id in sorted(grant_ids)]
    refusals = [
        (grant, refusal)
        for grant in grants
        if (refusal := _refusal(grant, decider, await _moved_away(conn, grant))) is not None
    ]
    if refusals:
        first = refusals[0][1]
        if len(refusals) > 1:
            problems: list[dict[str, Any]] = [
                {"grant": grant.id, "code": refusal.code, "message": str(refusal)}
                for grant, refusal in refusals
            ]
            raise type(first)(
                _(
                    "{refused} of these {count} grants cannot be confirmed; 'problems' lists "
                    "them (the first: {first}). Nothing was confirmed.",
                    refused=len(refusals),
                    count=len(grants),
                    first=first.message,
                ),
                problems=problems,
            )
        raise first
    confirmed = []
    for grant in grants:
        if grant.status is GrantStatus.CONFIRMED:
            confirmed.append(await get_grant(conn, grant.id, replayed=True))
            continue
        confirmed.append(await _post(conn, grant, decider=decider, actor=actor, now=now))
    return confirmed


async def _post(
    conn: AsyncConnection, grant: Grant, *, decider: str, actor: str, now: datetime
) -> Grant:
    grid = await find_org_unit(conn, grant.grid_code)
    assert grid is not None
    assert grid.issuance_account_id is not None
    account = await conn.scalar(
        select(volunteer.c.account_id).where(volunteer.c.passbook_number == grant.passbook_number)
    )
    assert account is not None
    entry = await ledger.post_entry(
        conn,
        idempotency_key=entry_key(grant.id),
        kind=grant.kind.value,
        legs=[
            ledger.Leg(grid.issuance_account_id, -grant.points),
            ledger.Leg(ledger.AccountId(account), grant.points),
        ],
        actor=actor,
        memo=grant_memo(grant.kind, grant.as_of, grant.reason),
        effective_date=grant.as_of,
        now=now,
    )
    try:
        await conn.execute(
            points_grant.update()
            .where(
                points_grant.c.id == grant.id,
                points_grant.c.status == GrantStatus.PROPOSED.value,
            )
            .values(
                status=GrantStatus.CONFIRMED.value,
                decider=decider,
                decided_actor=actor,
                decided_at=now,
                entry_id=entry.id,
            )
        )
    except IntegrityError as error:
        if db.constraint_name(error, metadata) == "ck_points_grant_four_eyes":
            raise GrantFourEyes(
                _("You proposed grant {id}; another staff member must confirm it.", id=grant.id)
            ) from error
        raise
    observe.points_issued(grant.grid_code, "grant", grant.points)
    return await get_grant(conn, grant.id)


async def reject_grant(
    conn: AsyncConnection,
    *,
    grant_id: int,
    person: str,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> Grant:
    """Reject a proposed grant, saying why; by its proposer it is a withdrawal. A rejected
    grant is answered as it is (``replayed``); a confirmed one is refused."""
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidGrant(
            _(
                "Say why the grant is rejected (1 to {max_reason} characters).",
                max_reason=MAX_REASON,
            )
        )
    await _lock(conn, [grant_id])
    grant = await get_grant(conn, grant_id)
    if grant.status is GrantStatus.REJECTED:
        return await get_grant(conn, grant_id, replayed=True)
    if grant.status is GrantStatus.CONFIRMED:
        raise GrantStateConflict(
            _(
                "Grant {grant_id} is confirmed already: entry {entry_id} posted it. If "
                "it was wrong, an admin reverses that entry.",
                grant_id=grant_id,
                entry_id=grant.entry_id,
            ),
            grant_id=grant_id,
            entry_id=grant.entry_id,
        )
    await conn.execute(
        points_grant.update()
        .where(points_grant.c.id == grant_id, points_grant.c.status == GrantStatus.PROPOSED.value)
        .values(
            status=GrantStatus.REJECTED.value,
            decider=None if person == grant.proposer else person,
            decided_actor=actor,
            decided_at=now or datetime.now(UTC),
            reject_reason=reason,
        )
    )
    return await get_grant(conn, grant_id)


__all__ = ["confirm_grants", "entry_key", "reject_grant"]
