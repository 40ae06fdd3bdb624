"""Proposing opening balances and adjustments: one at a time, or many opening balances at
once (a file carried over from the paper passbooks), all or nothing.

Invariants (see :mod:`community._grants` for the whole set): every refusal of a batch names
each bad row at once and nothing is saved; at most one opening balance per passbook, backed by
the partial unique index ``uq_points_grant_one_opening`` (a proposal that loses the race to a
concurrent one is run again and then refused); one idempotency key, or one batch name, makes
one set of grants: the same request again answers them (``replayed``), another request under
it is refused. Volunteers are locked in id order before their grants are written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import ledger
from community._grant_terms import check_terms
from community._grants import (
    MAX_BATCH_ROWS,
    Grant,
    GrantKind,
    GrantStatus,
    OpeningIn,
    clean_batch,
    get_grant,
    grants_in_batch,
)
from community._tables import points_grant
from community._tables import volunteer as volunteer_table
from community._volunteers import Volunteer, VolunteerStatus, _query, _volunteer
from community._words import listed_by_semicolons
from community.errors import (
    GrantKeyConflict,
    GrantRace,
    GrantToMovedAway,
    InvalidGrant,
    OpeningBalanceExists,
    RegistryError,
)
from db import metadata
from i18n import _
from scheme_time import scheme_today

_RACES = {"uq_points_grant_one_opening", "uq_points_grant_propose_key"}


def _digest(*parts: object) -> str:
    text = json.dumps(parts, ensure_ascii=False, default=str)  # dates as YYYY-MM-DD
    return hashlib.sha256(text.encode()).hexdigest()


FILE_COLUMNS = {"passbook_number": "存折号", "points": "余额", "as_of": "日期", "reason": "备注"}
"""The column of an opening-balances file each of a grant's terms comes from."""


async def _openings_held(
    conn: AsyncConnection, volunteers: Sequence[Volunteer]
) -> dict[int, RegistryError]:
    """The refusal for each of ``volunteers`` who already has an opening balance: a grant
    proposed or confirmed, or an opening entry posted to the passbook without one."""
    if not volunteers:
        return {}
    g = points_grant
    found: dict[int, RegistryError] = {}
    rows = await conn.execute(
        select(g.c.volunteer_id, g.c.id, g.c.status).where(
            g.c.volunteer_id.in_([v.id for v in volunteers]),
            g.c.kind == GrantKind.OPENING.value,
            g.c.status != GrantStatus.REJECTED.value,
        )
    )
    numbers = {v.id: v.passbook_number for v in volunteers}
    for volunteer_id, grant_id, status in rows:
        found[volunteer_id] = OpeningBalanceExists(
            _(
                "Passbook {number} already has an opening balance (grant {grant_id}, "
                "{status}); a passbook gets one. Reject that grant first if it is "
                "wrong, or propose an adjustment for what it is missing.",
                number=numbers[volunteer_id],
                grant_id=grant_id,
                status=_("proposed") if status == GrantStatus.PROPOSED.value else _("confirmed"),
            ),
            grant_id=grant_id,
        )
    entries = await ledger.first_entries_of_kind(
        conn, [v.account_id for v in volunteers], GrantKind.OPENING.value
    )
    for v in volunteers:
        if v.id not in found and (entry_id := entries.get(v.account_id)) is not None:
            found[v.id] = OpeningBalanceExists(
                _(
                    "Passbook {passbook_number} already carried its paper balance over "
                    "(entry {entry_id}); a passbook gets one opening balance. Propose an "
                    "adjustment for what it is missing.",
                    passbook_number=v.passbook_number,
                    entry_id=entry_id,
                ),
                entry_id=entry_id,
            )
    return found


async def propose_grant(
    conn: AsyncConnection,
    *,
    kind: GrantKind,
    volunteer: Volunteer,
    points: int,
    as_of: date,
    reason: str,
    proposer: str,
    actor: str,
    batch: str | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> Grant:
    """Propose one grant for ``volunteer`` (whom the caller has locked and may act for). With
    ``key``, the same proposal again answers the first grant (``replayed``)."""
    now = now or datetime.now(UTC)
    reason, batch = reason.strip(), clean_batch(batch)
    digest = _digest(kind, volunteer.passbook_number, points, as_of, reason, batch, proposer)
    if key is not None:
        earlier = (
            await conn.execute(
                select(points_grant.c.id, points_grant.c.propose_digest).where(
                    points_grant.c.propose_key == key
                )
            )
        ).first()
        if earlier is not None:
            if earlier.propose_digest != digest:
                raise GrantKeyConflict(
                    _(
                        "This idempotency key was already used for a different proposal. Use a "
                        "new key for a new proposal; repeat a key only to retry exactly the "
                        "same one."
                    )
                )
            return await get_grant(conn, earlier.id, replayed=True)
    if problems := check_terms(kind, points, as_of, reason, scheme_today(now)):
        said = listed_by_semicolons([message for _term, message in problems])
        raise InvalidGrant(_("The grant cannot be made: {said}. Nothing was saved.", said=said))
    if volunteer.status is not VolunteerStatus.ACTIVE:
        raise GrantToMovedAway(
            _(
                "Passbook {passbook_number}'s holder has moved away; a moved-away "
                "volunteer gets no opening balance or adjustment. Make them active "
                "again first.",
                passbook_number=volunteer.passbook_number,
            )
        )
    if kind is GrantKind.OPENING and (held := await _openings_held(conn, [volunteer])):
        raise held[volunteer.id]
    (grant_id,) = await _insert(
        conn,
        [(volunteer.id, points, as_of, reason, key)],
        kind=kind,
        proposer=proposer,
        actor=actor,
        batch=batch,
        digest=digest if key is not None else None,
        now=now,
    )
    return await get_grant(conn, grant_id)


OUT_OF_SIGHT = "this passbook is outside this token's scope, or no passbook has this number"


async def propose_openings(
    conn: AsyncConnection,
    *,
    rows: Sequence[OpeningIn],
    batch: str,
    may_grant: Callable[[Volunteer], bool],
    proposer: str,
    actor: str,
    now: datetime | None = None,
    unknown_told: bool = True,
) -> list[Grant]:
    """Propose an opening balance for every row, all in batch ``batch``, or none: every bad row
    is listed in the refusal's ``problems`` (row, passbook, code, problem). A row's passbook
    must be one the caller may grant to (``may_grant``); a refusal of one outside that names
    nothing but the number sent, and unless ``unknown_told`` (the caller may see every
    passbook) a number no passbook has is refused exactly alike, so a file cannot probe which
    numbers exist. The same rows again under the same batch by the same person
    answer the grants made (``replayed``); a batch name already used otherwise is refused."""
    now = now or datetime.now(UTC)
    name = clean_batch(batch)
    assert name is not None
    if not 1 <= len(rows) <= MAX_BATCH_ROWS:
        raise InvalidGrant(
            _(
                "A batch has 1 to {max_batch_rows} rows; this one has {rows_count}.",
                max_batch_rows=MAX_BATCH_ROWS,
                rows_count=len(rows),
            )
        )
    cleaned = [
        replace(r, passbook_number=r.passbook_number.strip(), note=r.note.strip()) for r in rows
    ]
    digest = _digest(
        name, proposer, [[r.row, r.passbook_number, r.points, r.as_of, r.note] for r in cleaned]
    )
    if earlier := await grants_in_batch(conn, name):
        if await _is_this_batch(conn, name, digest, len(cleaned)):
            return [replace(grant, replayed=True) for grant in earlier]
        raise GrantKeyConflict(
            _(
                "Batch {name!r} already holds {earlier_count} grant(s) proposed "
                "otherwise; give this file a new batch name, or send exactly the same "
                "rows to retry it.",
                name=name,
                earlier_count=len(earlier),
            )
        )
    found = await _locked_volunteers(conn, [r.passbook_number for r in cleaned])
    held = await _openings_held(conn, [v for v in found.values() if may_grant(v)])
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    today = scheme_today(now)
    for r in cleaned:

        def problem(
            code: str, message: str, term: str = "passbook_number", r: OpeningIn = r
        ) -> None:
            problems.append(
                {
                    "row": r.row,
                    "column": FILE_COLUMNS[term],
                    "passbook": r.passbook_number,
                    "code": code,
                    "message": message,
                }
            )

        for term, message in check_terms(GrantKind.OPENING, r.points, r.as_of, r.note, today):
            problem(InvalidGrant.code, str(message), term)
        if r.passbook_number in seen:
            problem(InvalidGrant.code, f"this passbook is on row {seen[r.passbook_number]} too")
        seen.setdefault(r.passbook_number, r.row)
        v = found.get(r.passbook_number)
        if v is None and unknown_told:
            problem("passbook_not_found", "no passbook with this number")
        elif v is None or not may_grant(v):
            problem("forbidden", OUT_OF_SIGHT)
        elif v.status is not VolunteerStatus.ACTIVE:
            problem(GrantToMovedAway.code, "the holder has moved away and gets no grant")
        elif (refusal := held.get(v.id)) is not None:
            problem(refusal.code, f"already has an opening balance ({_which(refusal)})")
    if problems:
        raise InvalidGrant(
            _(
                "{rows} row(s) of batch {name!r} cannot be proposed; 'problems' "
                "lists them. Nothing was saved: correct them and send the batch again.",
                rows=len({p["row"] for p in problems}),
                name=name,
            ),
            problems=problems,
        )
    await _insert(
        conn,
        [
            (found[r.passbook_number].id, r.points, r.as_of, r.note, f"batch:{name}:{i}")
            for i, r in enumerate(cleaned, start=1)
        ],
        kind=GrantKind.OPENING,
        proposer=proposer,
        actor=actor,
        batch=name,
        digest=digest,
        now=now,
    )
    return await grants_in_batch(conn, name)


def _which(refusal: RegistryError) -> str:
    if "grant_id" in refusal.figures:
        return f"grant {refusal.figures['grant_id']}"
    return f"entry {refusal.figures['entry_id']}"


async def _is_this_batch(conn: AsyncConnection, name: str, digest: str, count: int) -> bool:
    digests = list(
        await conn.scalars(
            select(points_grant.c.propose_digest).where(points_grant.c.batch == name)
        )
    )
    return len(digests) == count and set(digests) == {digest}


async def _locked_volunteers(conn: AsyncConnection, numbers: list[str]) -> dict[str, Volunteer]:
    """The volunteers holding ``numbers``, their rows locked in id order."""
    query = (
        _query()
        .where(volunteer_table.c.passbook_number.in_(sorted(set(numbers))))
        .order_by(volunteer_table.c.id)
        .with_for_update(of=volunteer_table)
    )
    return {v.passbook_number: v for v in map(_volunteer, await conn.execute(query))}


async def _insert(
    conn: AsyncConnection,
    grants: list[tuple[int, int, date, str, str | None]],
    *,
    kind: GrantKind,
    proposer: str,
    actor: str,
    batch: str | None,
    digest: str | None,
    now: datetime,
) -> list[int]:
    """Write proposed grants (volunteer id, points, date, reason, key); returns their ids."""
    ids = []
    try:
        for volunteer_id, points, as_of, reason, key in grants:
            made = await conn.scalar(
                points_grant.insert()
                .values(
                    kind=kind.value,
                    volunteer_id=volunteer_id,
                    points=points,
                    as_of=as_of,
                    reason=reason,
                    status=GrantStatus.PROPOSED.value,
                    proposer=proposer,
                    proposed_actor=actor,
                    proposed_at=now,
                    batch=batch,
                    propose_key=key,
                    propose_digest=digest,
                )
                .returning(points_grant.c.id)
            )
            assert made is not None
            ids.append(int(made))
    except IntegrityError as error:
        if db.constraint_name(error, metadata) in _RACES:
            raise GrantRace("A concurrent proposal was saved first.") from error
        raise
    return ids


__all__ = ["check_terms", "propose_grant", "propose_openings"]
