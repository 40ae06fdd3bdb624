"""The scan throttle on the run's database with the times given (no clock): a fixed window
of ``limit`` places per credential, starting at the first counted scan; a valid scan gives its
place back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import rewards
from rewards.errors import TooManyInvalidCodes, VoucherNotFound

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _unknown() -> None:
    raise VoucherNotFound("no such voucher")


async def _valid() -> str:
    return "ok"


async def test_a_burst_pauses_one_credential_until_its_window_ends(engine: AsyncEngine) -> None:
    throttle = rewards.ScanThrottle(limit=3, window=timedelta(seconds=60))
    tx = db.Transactions(engine)

    def at(second: int) -> datetime:
        return T0 + timedelta(seconds=second)

    for second in (0, 10, 20):
        with pytest.raises(VoucherNotFound):
            await throttle.guarded(tx, "a", at(second), _unknown)
    with pytest.raises(TooManyInvalidCodes) as paused:
        await throttle.guarded(tx, "a", at(30), _valid)  # not even a valid code is looked at
    assert paused.value.retry_after == 30  # until the window that began at 0 s ends
    assert paused.value.category == "throttled"
    assert await throttle.guarded(tx, "b", at(30), _valid) == "ok"  # others scan on
    # the window ends: a fresh one starts with this scan
    with pytest.raises(VoucherNotFound):
        await throttle.guarded(tx, "a", at(60), _unknown)
    # valid scans give their place back: any number of them never pause the scanner
    for second in range(61, 71):
        assert await throttle.guarded(tx, "a", at(second), _valid) == "ok"
    for second in (71, 72):
        with pytest.raises(VoucherNotFound):
            await throttle.guarded(tx, "a", at(second), _unknown)
    with pytest.raises(TooManyInvalidCodes) as again:
        await throttle.guarded(tx, "a", at(80), _valid)
    assert again.value.retry_after == 40


async def test_a_scan_that_started_before_the_window_opened_waits_at_most_one_window(
    engine: AsyncEngine,
) -> None:
    """Concurrent scans each read the clock as they start: one whose clock reads a moment
    before the scan that opened the window is refused with a wait of one window, not more."""
    throttle = rewards.ScanThrottle(limit=1, window=timedelta(seconds=60))
    tx = db.Transactions(engine)
    with pytest.raises(VoucherNotFound):
        await throttle.guarded(tx, "a", T0 + timedelta(milliseconds=400), _unknown)
    with pytest.raises(TooManyInvalidCodes) as paused:
        await throttle.guarded(tx, "a", T0, _valid)
    assert paused.value.retry_after == 60
