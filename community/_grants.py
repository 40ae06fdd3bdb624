"""Points granted outside a scoring sheet, as they are read: a paper passbook's balance carried
over (``opening``) or an ``adjustment`` for service too old for a sheet, each proposed by one
staff member and confirmed (or rejected) by another.

Invariants protected here and in :mod:`community._grant_writes` (the database backs the ones
marked *):

* a grant is ``proposed``, then ``confirmed`` or ``rejected``, and only so; it is for more
  than zero points*; its date (the paper passbook's date, the day served) is not in the future;
  an adjustment says why (1 to 400 characters);
* a passbook gets at most one opening balance*: a second one is refused while the first is
  proposed or confirmed, and so is one for a passbook whose ledger already holds an opening
  entry (the demo posts its openings directly);
* four eyes: the person who proposed a grant never confirms it*; the proposer may withdraw it
  (a rejection with no decider);
* a confirmation posts exactly one ledger entry*, from the volunteer's grid's issuance account
  to the passbook, keyed by the grant (``grant:<id>``), dated the grant's date, with the paper
  date or the day served in its memo; a confirmed grant names its entry* and an entry one grant*;
* a moved-away volunteer gets no grant: neither proposed nor confirmed.

The points count towards the passbook's lifetime earned (they were earned, on paper or in
service), like any credit the ledger posts; they are outside the grid budgets, which count
scoring sheets only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

import db
from community._org_units import under
from community._tables import org_unit, points_grant, volunteer
from community.errors import GrantNotFound, InvalidGrant
from i18n import _

MAX_GRANT_POINTS = 1_000_000
MAX_REASON = 400
MAX_BATCH_ROWS = 2000
MAX_BATCH_NAME = 64
MAX_LIST = 200
EARLIEST_DATE = date(2000, 1, 1)
OPENING_LABEL = "纸质存折余额结转"


class GrantKind(enum.StrEnum):
    OPENING = "opening"
    ADJUSTMENT = "adjustment"


class GrantStatus(enum.StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OpeningIn:
    """One row of opening balances to propose (from a file, say): its row number as the
    caller counts rows, the passbook, the paper passbook's last balance and its date."""

    row: int
    passbook_number: str
    points: int
    as_of: date
    note: str = ""


@dataclass(frozen=True, slots=True)
class Grant:
    """An opening balance or adjustment and where it stands. ``decider`` is None on a grant
    still proposed and on one its proposer withdrew."""

    id: int
    kind: GrantKind
    passbook_number: str
    holder_name: str
    grid_code: str
    grid_path: str
    points: int
    as_of: date
    reason: str
    status: GrantStatus
    proposer: str
    proposed_actor: str
    proposed_at: datetime
    decider: str | None
    decided_actor: str | None
    decided_at: datetime | None
    reject_reason: str | None
    entry_id: int | None
    batch: str | None
    replayed: bool = False

    @property
    def memo(self) -> str:
        return grant_memo(self.kind, self.as_of, self.reason)

    @property
    def withdrawn(self) -> bool:
        return self.status is GrantStatus.REJECTED and self.decider is None


def grant_memo(kind: GrantKind, as_of: date, reason: str) -> str:
    """What the passbook's statement says for a confirmed grant."""
    if kind is GrantKind.OPENING:
        return f"{OPENING_LABEL}（纸质存折日期 {as_of.isoformat()}）"
    return f"补记积分：{reason}（服务日期 {as_of.isoformat()}）"


def clean_batch(batch: str | None) -> str | None:
    """A batch name as stored: trimmed, 1 to 64 characters (None: no batch)."""
    if batch is None:
        return None
    cleaned = batch.strip()
    if not 1 <= len(cleaned) <= MAX_BATCH_NAME:
        raise InvalidGrant(
            _("A batch name has 1 to {max_batch_name} characters.", max_batch_name=MAX_BATCH_NAME)
        )
    return cleaned


def _query() -> Select[Any]:
    g = points_grant
    return (
        select(
            g.c.id,
            g.c.kind,
            volunteer.c.passbook_number,
            volunteer.c.name,
            org_unit.c.code,
            org_unit.c.path,
            g.c.points,
            g.c.as_of,
            g.c.reason,
            g.c.status,
            g.c.proposer,
            g.c.proposed_actor,
            g.c.proposed_at,
            g.c.decider,
            g.c.decided_actor,
            g.c.decided_at,
            g.c.reject_reason,
            g.c.entry_id,
            g.c.batch,
        )
        .join(volunteer, volunteer.c.id == g.c.volunteer_id)
        .join(org_unit, org_unit.c.id == volunteer.c.grid_id)
    )


def _grant(row: Row[Any]) -> Grant:
    values = list(row)
    values[1] = GrantKind(values[1])
    values[9] = GrantStatus(values[9])
    return Grant(*values)


async def get_grant(conn: AsyncConnection, grant_id: int, *, replayed: bool = False) -> Grant:
    """The grant ``grant_id``, or :class:`community.GrantNotFound`."""
    row = (await conn.execute(_query().where(points_grant.c.id == grant_id))).first()
    if row is None:
        raise GrantNotFound(
            _("No opening balance or adjustment with id {grant_id}.", grant_id=grant_id)
        )
    return replace(_grant(row), replayed=replayed)


async def grants_in_batch(conn: AsyncConnection, batch: str) -> list[Grant]:
    """Every grant of ``batch``, oldest first."""
    rows = await conn.execute(
        _query().where(points_grant.c.batch == batch).order_by(points_grant.c.id)
    )
    return [_grant(row) for row in rows]


async def list_grants(
    conn: AsyncConnection,
    *,
    under_path: str,
    status: GrantStatus | None = None,
    kind: GrantKind | None = None,
    passbook: str | None = None,
    batch: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> db.Page[Grant]:
    """The grants of the volunteers under the org unit at ``under_path``, newest first,
    ``limit`` at a time before the id ``before``."""
    if not 1 <= limit <= MAX_LIST:
        raise InvalidGrant(_("A page holds 1 to {max_list} grants.", max_list=MAX_LIST))
    g = points_grant
    query = _query().where(under(under_path))
    if status is not None:
        query = query.where(g.c.status == status.value)
    if kind is not None:
        query = query.where(g.c.kind == kind.value)
    if passbook is not None:
        query = query.where(volunteer.c.passbook_number == passbook)
    if batch is not None:
        query = query.where(g.c.batch == batch)
    if before is not None:
        query = query.where(g.c.id < before)
    rows = (await conn.execute(query.order_by(g.c.id.desc()).limit(db.fetch_size(limit)))).all()
    return db.page_of([_grant(row) for row in rows], limit, lambda grant: grant.id)


__all__ = [
    "EARLIEST_DATE",
    "MAX_BATCH_NAME",
    "MAX_BATCH_ROWS",
    "MAX_GRANT_POINTS",
    "MAX_REASON",
    "OPENING_LABEL",
    "Grant",
    "GrantKind",
    "GrantStatus",
    "OpeningIn",
    "clean_batch",
    "get_grant",
    "grant_memo",
    "grants_in_batch",
    "list_grants",
]
