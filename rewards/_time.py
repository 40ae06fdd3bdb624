"""Voucher expiry and limit periods, reckoned in the scheme's time (:mod:`scheme_time`).

Invariant: a voucher valid for N days is valid through the end of the Nth local day counting
the day of issue, and every period key (month, year) is the local one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from scheme_time import SCHEME_TZ, add_months, local_date, month_key, start_of, utcnow


def voucher_expiry(issued_at: datetime, valid_days: int) -> datetime:
    """The end of the ``valid_days``-th local day, counting the day of issue as the first."""
    return start_of(local_date(issued_at) + timedelta(days=valid_days))


def months_after(day: date, months: int) -> datetime:
    """Local midnight starting the day ``months`` calendar months after ``day`` (clipped to
    the month's end: 31 March and one month is 30 April)."""
    return start_of(add_months(datetime.combine(day, time()), months).date())


def local_minute(moment: datetime) -> str:
    """``moment`` as the scheme's clock on the wall shows it, to the minute: 2026-11-10 18:00."""
    return moment.astimezone(SCHEME_TZ).strftime("%Y-%m-%d %H:%M")


def period_key(period: str, moment: datetime) -> str:
    """The key of the limit period ``period`` ('month', 'year' or 'ever') holding ``moment``."""
    day = local_date(moment)
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "year":
        return day.strftime("%Y")
    return "ever"


__all__ = [
    "add_months",
    "local_date",
    "local_minute",
    "month_key",
    "period_key",
    "start_of",
    "utcnow",
    "voucher_expiry",
]
