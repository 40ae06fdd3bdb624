"""The scan throttle without a database or a clock: the window slides with the times given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import rewards
from rewards.errors import TooManyInvalidCodes

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_a_burst_pauses_one_credential_until_the_window_slides() -> None:
    throttle = rewards.ScanThrottle(limit=3, window=timedelta(seconds=60))
    for second in (0, 10, 20):
        throttle.check("a", T0 + timedelta(seconds=second))
        throttle.record_failure("a", T0 + timedelta(seconds=second))
    with pytest.raises(TooManyInvalidCodes) as paused:
        throttle.check("a", T0 + timedelta(seconds=30))
    assert paused.value.retry_after == 30  # until the first failure is a minute old
    assert paused.value.category == "throttled"
    throttle.check("b", T0 + timedelta(seconds=30))  # others scan on
    throttle.check("a", T0 + timedelta(seconds=60))  # the first failure left the window
    throttle.record_failure("a", T0 + timedelta(seconds=61))
    with pytest.raises(TooManyInvalidCodes) as again:
        throttle.check("a", T0 + timedelta(seconds=62))
    assert again.value.retry_after == 8
