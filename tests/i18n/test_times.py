"""Moments shown to people are China Standard Time and say so, in either language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from i18n import Locale
from scheme_time import format_day, format_moment

LATE_EVENING_UTC = datetime(2026, 12, 1, 18, 5, tzinfo=UTC)  # 02:05 on 2 Dec in Jinan


def test_a_moment_in_chinese_is_beijing_time_and_says_so() -> None:
    assert format_moment(LATE_EVENING_UTC, Locale.ZH_CN) == "2026年12月2日 02:05（北京时间）"


def test_a_moment_in_english_is_china_standard_time_and_says_so() -> None:
    assert format_moment(LATE_EVENING_UTC, Locale.EN) == ("2 Dec 2026, 02:05 (China Standard Time)")


def test_a_day() -> None:
    assert format_day(date(2027, 1, 9), Locale.ZH_CN) == "2027年1月9日"
    assert format_day(date(2027, 1, 9), Locale.EN) == "9 Jan 2027"
