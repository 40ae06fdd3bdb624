"""The use case of a merchant's settlement: the vouchers it consumed in a period, and their
points, checkable against the books line by line.

Who may do what: a merchant sees its own settlement only; admins and auditors see the
settlements of the merchants whose org unit lies in theirs (a grid's admin not the street's
merchants). The period is this month so far unless asked: a month (``YYYY-MM``), or a first
and a last local day (both included), never both.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import rewards
import scheme_time
from access import Principal, Role
from i18n import _

__all__ = ["merchant_settlement"]


async def merchant_settlement(
    conn: AsyncConnection,
    principal: Principal,
    *,
    merchant_code: str,
    first_day: date | None = None,
    last_day: date | None = None,
    month: str | None = None,
    now: datetime | None = None,
) -> rewards.Settlement:
    """The settlement of ``merchant_code`` for ``month``, or from ``first_day`` to
    ``last_day`` (default: the first of this month to today). The merchant itself, admins and
    auditors over the merchant's org unit; refuses a month given with days, or a month not written YYYY-MM."""
    if principal.role is Role.MERCHANT and principal.scope != merchant_code:
        raise access.Forbidden(_("A merchant sees only its own settlement."))
    if principal.role not in (Role.MERCHANT, Role.ADMIN, Role.AUDITOR):
        raise access.Forbidden(_("Settlements are for the merchant, admins and auditors."))
    if principal.role is not Role.MERCHANT:
        seller = await rewards.get_merchant(conn, merchant_code)
        if not community.within(seller.org_unit_path, principal.scope):
            raise access.Forbidden(
                _(
                    "Merchant {merchant_code!r} serves a unit outside this token's scope: "
                    "its settlement is read by admins and auditors over that unit.",
                    merchant_code=merchant_code,
                )
            )
    if month is not None:
        if first_day is not None or last_day is not None:
            raise db.InvalidRequest(_("Give either 'month' or 'from' and 'to', not both."))
        if not scheme_time.is_month(month):
            raise db.InvalidRequest(_("'month' is YYYY-MM, e.g. 2026-11."))
        first_day = scheme_time.first_day(month)
        last_day = (first_day + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    today = scheme_time.scheme_today(now)
    return await rewards.settlement(
        conn,
        merchant_code=merchant_code,
        first_day=first_day or today.replace(day=1),
        last_day=last_day or today,
    )
