"""Local time of the scheme: days, months and voucher expiry are reckoned in China Standard
Time (UTC+8, no daylight saving), whatever the server's clock zone is.

Invariant: a voucher valid for N days is valid through the end of the Nth local day counting
the day of issue, and every period key (month, year) is the local one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def start_of(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware UTC moment."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)


def voucher_expiry(issued_at: datetime, valid_days: int) -> datetime:
    """The end of the ``valid_days``-th local day, counting the day of issue as the first."""
    return start_of(local_date(issued_at) + timedelta(days=valid_days))


def month_key(moment: datetime) -> str:
    return local_date(moment).strftime("%Y-%m")


def period_key(period: str, moment: datetime) -> str:
    """The key of the limit period ``period`` ('month', 'year' or 'ever') holding ``moment``."""
    day = local_date(moment)
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "year":
        return day.strftime("%Y")
    return "ever"


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved ``months`` calendar months later (the day clipped to the month's end)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days_in_month = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))
