"""Use cases of opening balances and adjustments, the points put into a passbook outside a
scoring sheet: propose (one, or a file's worth of opening balances at once), confirm (one, or
a whole batch), reject, read and list.

Who may do what: community staff, that is an admin over the volunteer's grid, propose,
confirm and reject; a different person must confirm what one proposed (four eyes compare
:attr:`access.Principal.person`: a token's holder, or ``cli:<name>`` at the command line);
admins and auditors read and list the grants under their unit. A refusal about a grant asked
for by its id names no passbook outside the caller's scope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
from access import Forbidden, Principal, Role
from i18n import _
from scheme_time import scheme_today

READERS = (Role.ADMIN, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class GrantListing:
    """A page of grants, newest first; ``earlier`` is the cursor for the next page."""

    grants: list[community.Grant]
    earlier: int | None


async def propose_opening(
    conn: AsyncConnection,
    principal: Principal,
    *,
    passbook_number: str,
    points: int,
    as_of: date,
    note: str = "",
    key: str | None = None,
    batch: str | None = None,
    now: datetime | None = None,
) -> community.Grant:
    """Propose passbook ``passbook_number``'s opening balance: the paper passbook's last
    balance ``points`` on its date ``as_of``. It posts when another person confirms it.

    Who: an admin over the volunteer's grid. Refuses a passbook that has an opening balance
    already (:class:`community.OpeningBalanceExists`), a moved-away volunteer
    (:class:`community.GrantToMovedAway`), and points or a date out of range
    (:class:`community.InvalidGrant`). With ``key``, the same proposal again answers the
    first grant (``replayed``); the key with another proposal is
    :class:`community.GrantKeyConflict`."""
    return await _propose(
        conn, principal, community.GrantKind.OPENING, passbook_number, points, as_of, note,
        key=key, batch=batch, now=now,
    )  # fmt: skip


async def propose_adjustment(
    conn: AsyncConnection,
    principal: Principal,
    *,
    passbook_number: str,
    points: int,
    as_of: date,
    reason: str,
    sheet_max_age_days: int,
    key: str | None = None,
    batch: str | None = None,
    now: datetime | None = None,
) -> community.Grant:
    """Propose an adjustment: ``points`` for service on ``as_of`` too old for a scoring sheet
    (more than ``sheet_max_age_days`` days ago, the sheets' age limit), saying why
    (``reason``, 1 to 400 characters). It posts when another person confirms it.

    Who and what is refused: as for :func:`propose_opening`, but a passbook may have any
    number of adjustments; service recent enough for a sheet is scored on a sheet, by the
    council, and refused here (:class:`community.InvalidGrant`)."""
    today = scheme_today(now)
    if (today - as_of).days <= sheet_max_age_days and as_of <= today:
        raise community.InvalidGrant(
            _(
                "Service on {as_of} is recent enough for a scoring sheet (sheets take "
                "service up to {sheet_max_age_days} days old): the grid council scores "
                "it on a sheet. An adjustment is for service before {first_sheet_day}.",
                as_of=as_of,
                sheet_max_age_days=sheet_max_age_days,
                first_sheet_day=today - timedelta(days=sheet_max_age_days),
            ),
            field="as_of",
            sheet_max_age_days=sheet_max_age_days,
        )
    return await _propose(
        conn, principal, community.GrantKind.ADJUSTMENT, passbook_number, points, as_of, reason,
        key=key, batch=batch, now=now,
    )  # fmt: skip


async def _propose(
    conn: AsyncConnection,
    principal: Principal,
    kind: community.GrantKind,
    number: str,
    points: int,
    as_of: date,
    reason: str,
    *,
    key: str | None,
    batch: str | None,
    now: datetime | None,
) -> community.Grant:
    access.require_role(principal, Role.ADMIN)
    volunteer = await access.volunteer_administered_by(conn, principal, number)
    return await community.propose_grant(
        conn,
        kind=kind,
        volunteer=volunteer,
        points=points,
        as_of=as_of,
        reason=reason,
        proposer=principal.person,
        actor=principal.actor,
        batch=batch,
        key=key,
        now=now,
    )


async def propose_openings(
    conn: AsyncConnection,
    principal: Principal,
    *,
    rows: Sequence[community.OpeningIn],
    batch: str,
    now: datetime | None = None,
) -> list[community.Grant]:
    """Propose the opening balances of many passbooks at once (a file carried over from the
    paper passbooks), all in batch ``batch``, or none of them: every bad row is named in the
    refusal's ``problems`` by its ``row`` (:class:`community.InvalidGrant`), among them rows
    whose passbook is unknown, outside the caller's unit (one answer, ``forbidden``, for
    these two unless the caller sees the whole street), moved away or already opened. The
    same rows again by the same person answer the grants made (``replayed``); a batch name
    used otherwise is :class:`community.GrantKeyConflict`.

    Who: an admin over every row's grid."""
    access.require_role(principal, Role.ADMIN)
    return await community.propose_openings(
        conn,
        rows=rows,
        batch=batch,
        may_grant=lambda volunteer: access.admin_over(principal, volunteer.grid_path),
        proposer=principal.person,
        actor=principal.actor,
        now=now,
        unknown_told=access.sees_every_passbook(principal),
    )


async def import_openings(
    conn: AsyncConnection,
    principal: Principal,
    *,
    data: bytes,
    filename: str,
    batch: str | None = None,
    now: datetime | None = None,
) -> list[community.Grant]:
    """Propose the opening balances of a file (.xlsx, or .csv in UTF-8, UTF-8 with BOM, GBK or
    GB18030; columns 存折号, 余额, 日期 and optionally 备注) as one batch, all or nothing, like
    :func:`propose_openings`: every problem of the file, a cell that cannot be read or a row
    the books refuse, is listed in the refusal's ``problems`` by row and column
    (:class:`community.InvalidGrant`) and nothing is saved. The batch is named ``batch``, or
    after the file's content, so the same file again answers the grants it made.

    Who: an admin over every row's grid."""
    access.require_role(principal, Role.ADMIN)
    read = community.read_opening_file(data, filename, scheme_today(now))
    if read.problems:
        raise community.InvalidGrant(
            _(
                "{rows} row(s) of {filename} cannot be read; 'problems' lists each "
                "by row and column. Nothing was saved: correct the file and send it "
                "again.",
                rows=len({p["row"] for p in read.problems}),
                filename=filename,
            ),
            problems=read.problems,
        )
    name = batch or f"file-{hashlib.sha256(data).hexdigest()[:16]}"
    return await propose_openings(conn, principal, rows=read.rows, batch=name, now=now)


async def _staff_grant(
    conn: AsyncConnection, principal: Principal, grant_id: int
) -> community.Grant:
    """The grant, if ``principal`` is an admin over its volunteer's grid; the volunteer's row
    is locked (volunteers before grants, as every grant write locks them)."""
    access.require_role(principal, Role.ADMIN)
    grant = await community.get_grant(conn, grant_id)
    access.require_admin_over(principal, grant.grid_path, _("Grant {grant_id}", grant_id=grant_id))
    await _lock_volunteers(conn, [grant.passbook_number])
    return grant


async def _lock_volunteers(conn: AsyncConnection, numbers: list[str]) -> None:
    v = community.volunteer
    await conn.execute(
        select(v.c.id)
        .where(v.c.passbook_number.in_(sorted(set(numbers))))
        .order_by(v.c.id)
        .with_for_update()
    )


async def confirm_grant(
    conn: AsyncConnection, principal: Principal, *, grant_id: int, now: datetime | None = None
) -> community.Grant:
    """Confirm a grant someone else proposed: its points post to the passbook as one entry
    from the grid's issuance account, dated the paper passbook's date (or the day served).
    Confirming a confirmed grant again posts nothing and answers it (``replayed``).

    Who: an admin over the volunteer's grid who is not the proposer
    (:class:`community.GrantFourEyes`). Refuses a rejected grant
    (:class:`community.GrantStateConflict`) and a moved-away volunteer's."""
    await _staff_grant(conn, principal, grant_id)
    (confirmed,) = await community.confirm_grants(
        conn, grant_ids=[grant_id], decider=principal.person, actor=principal.actor, now=now
    )
    return confirmed


async def confirm_batch(
    conn: AsyncConnection, principal: Principal, *, batch: str, now: datetime | None = None
) -> list[community.Grant]:
    """Confirm every proposed grant of ``batch`` in one go, or none: a refusal (one the
    caller proposed, one whose volunteer moved away) names every grant at fault in
    ``problems``. Grants of the batch confirmed already are answered as they are; rejected
    ones are left out.

    Who: an admin over every grant's grid, who proposed none of those to confirm."""
    access.require_role(principal, Role.ADMIN)
    name = community.clean_batch(batch)
    assert name is not None
    grants = await community.grants_in_batch(conn, name)
    if not grants:
        raise community.GrantNotFound(_("No grants in batch {name!r}.", name=name))
    if not all(access.admin_over(principal, grant.grid_path) for grant in grants):
        raise Forbidden(
            _(
                "Batch {name!r} holds grants outside this token's scope: an admin over "
                "every grant's grid (their community's staff, or the street's) must "
                "confirm it.",
                name=name,
            )
        )
    await _lock_volunteers(conn, [grant.passbook_number for grant in grants])
    return await community.confirm_grants(
        conn,
        grant_ids=[g.id for g in grants if g.status is not community.GrantStatus.REJECTED],
        decider=principal.person,
        actor=principal.actor,
        now=now,
    )


async def reject_grant(
    conn: AsyncConnection,
    principal: Principal,
    *,
    grant_id: int,
    reason: str,
    now: datetime | None = None,
) -> community.Grant:
    """Reject a proposed grant, saying why; its proposer rejecting it withdraws it. Nothing
    posts. Rejecting it again answers it (``replayed``); a confirmed grant is refused
    (:class:`community.GrantStateConflict`: reverse its entry instead).

    Who: an admin over the volunteer's grid, the proposer included."""
    await _staff_grant(conn, principal, grant_id)
    return await community.reject_grant(
        conn,
        grant_id=grant_id,
        person=principal.person,
        actor=principal.actor,
        reason=reason,
        now=now,
    )


async def read_grant(
    conn: AsyncConnection, principal: Principal, *, grant_id: int
) -> community.Grant:
    """One grant. Who: admins and auditors over the volunteer's grid."""
    access.require_role(principal, *READERS)
    grant = await community.get_grant(conn, grant_id)
    access.require_in_scope(principal, grant.grid_path, _("Grant {grant_id}", grant_id=grant_id))
    return grant


async def list_grants(
    conn: AsyncConnection,
    principal: Principal,
    *,
    status: community.GrantStatus | None = None,
    kind: community.GrantKind | None = None,
    passbook: str | None = None,
    batch: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> GrantListing:
    """The grants under the caller's unit, newest first, by status, kind, passbook or batch.

    Who: admins and auditors; a passbook outside their unit is refused."""
    access.require_role(principal, *READERS)
    if passbook is not None:
        await access.passbook_read_by(conn, principal, passbook)
    page: db.Page[community.Grant] = await community.list_grants(
        conn,
        under_path=principal.scope,
        status=status,
        kind=kind,
        passbook=passbook,
        batch=batch,
        before=before,
        limit=limit,
    )
    return GrantListing(page.items, page.earlier)


__all__ = [
    "GrantListing",
    "confirm_batch",
    "confirm_grant",
    "list_grants",
    "propose_adjustment",
    "propose_opening",
    "propose_openings",
    "read_grant",
    "reject_grant",
]
