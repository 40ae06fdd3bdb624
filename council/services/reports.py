"""Use cases of the grid reports: points in circulation, issuance per grid and month, and the
volunteers' leaderboard.

Invariant: admins, council members and auditors see the figures of the units inside their own
(or of a ``grid`` inside it), never beyond; a report's months run forward (``since`` is not
after ``until``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import council
import db
from access import Principal, Role
from i18n import _

READERS = (Role.ADMIN, Role.COUNCIL, Role.AUDITOR)


async def circulation(conn: AsyncConnection, principal: Principal) -> list[council.CirculationRow]:
    """How many points each grid and community in the caller's unit has put into circulation.

    An admin, council member or auditor may read it (:class:`access.Forbidden` otherwise)."""
    access.require_role(principal, *READERS)
    return await council.circulation(conn, scope=principal.scope)


async def issuance_report(
    conn: AsyncConnection,
    principal: Principal,
    *,
    since: str,
    until: str,
    grid: str | None = None,
) -> council.IssuanceReport:
    """Points issued per grid and month (``YYYY-MM``, ``since`` to ``until``) in the caller's
    unit, or in ``grid`` inside it.

    An admin, council member or auditor may read it (:class:`access.Forbidden` otherwise, or
    for a ``grid`` outside their unit); a month not written ``YYYY-MM`` is
    :class:`council.InvalidRule`, months the wrong way round :class:`db.InvalidRequest`."""
    access.require_role(principal, *READERS)
    _check_months(since, until)
    scope = await _scope(conn, principal, grid)
    rows = await council.issuance_report(conn, scope=scope, since=since, until=until)
    return council.IssuanceReport(since=since, until=until, scope=scope, rows=rows)


async def leaderboard(
    conn: AsyncConnection,
    principal: Principal,
    *,
    since: str,
    until: str,
    grid: str | None = None,
    limit: int = 20,
) -> council.Leaderboard:
    """The ``limit`` volunteers in the caller's unit (or in ``grid`` inside it) who earned the
    most points in the months ``since`` to ``until``; volunteers who opted out are left out.

    Who may, and what is refused: as :func:`issuance_report`."""
    access.require_role(principal, *READERS)
    _check_months(since, until)
    scope = await _scope(conn, principal, grid)
    rows = await council.leaderboard(conn, scope=scope, since=since, until=until, limit=limit)
    return council.Leaderboard(scope=scope, since=since, until=until, rows=rows)


def _check_months(since: str, until: str) -> None:
    """Each a month (:class:`council.InvalidRule` otherwise), the first not after the last."""
    council.parse_month(since)
    council.parse_month(until)
    if since > until:
        raise db.InvalidRequest(
            _("'since' ({since}) is after 'until' ({until}).", since=since, until=until)
        )


async def _scope(conn: AsyncConnection, principal: Principal, grid: str | None) -> str:
    """The org path a report covers: the caller's own unit, or ``grid`` if it lies inside it."""
    if not grid:
        return principal.scope
    return (await access.org_unit_in_scope(conn, principal, grid)).path
