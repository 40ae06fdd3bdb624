"""The scheme's own time: China Standard Time (UTC+8, no daylight saving), whatever the
server's clock zone is.

Invariants: "today", an activity date, a month and every period key are reckoned in the
scheme's zone; a month is written ``YYYY-MM`` and parsed in one place; moments are stored and
compared as aware UTC values; a moment shown to people is in the scheme's zone and says so
(:func:`format_moment`), in the reader's language.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from i18n import Locale

SCHEME_TZ = timezone(timedelta(hours=8), "CST")
MONTH_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"
"""A month as the API, the command line and the books write it: 2026-03."""
_MONTH = re.compile(MONTH_PATTERN)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    """The scheme's calendar day holding ``moment``."""
    return moment.astimezone(SCHEME_TZ).date()


def scheme_today(now: datetime | None = None) -> date:
    return local_date(now or utcnow())


def start_of(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware UTC moment."""
    return datetime.combine(day, time(0), tzinfo=SCHEME_TZ).astimezone(UTC)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_key(moment: datetime) -> str:
    """The scheme's month holding ``moment``."""
    return month_of(local_date(moment))


def is_month(text: str) -> bool:
    return _MONTH.match(text) is not None


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-03"`` as (2026, 3); a ValueError says what a month looks like."""
    if not is_month(text):
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-03.")
    year, month = text.split("-")
    return int(year), int(month)


def first_day(month: str) -> date:
    year, number = parse_month(month)
    return date(year, number, 1)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved ``months`` calendar months later (the day clipped to the month's end)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days_in_month = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_moment(moment: datetime, locale: Locale) -> str:
    """``2026年12月2日 10:35（北京时间）`` or ``2 Dec 2026, 10:35 (China Standard Time)``."""
    local = moment.astimezone(SCHEME_TZ)
    if locale is Locale.ZH_CN:
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"
    return f"{format_day(local.date(), locale)}, {local:%H:%M} (China Standard Time)"


def format_day(day: date, locale: Locale) -> str:
    """``2026年12月2日`` or ``2 Dec 2026``."""
    if locale is Locale.ZH_CN:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


__all__ = [
    "MONTH_PATTERN",
    "SCHEME_TZ",
    "add_months",
    "first_day",
    "format_day",
    "format_moment",
    "is_month",
    "local_date",
    "month_key",
    "month_of",
    "parse_month",
    "scheme_today",
    "start_of",
    "utcnow",
]
