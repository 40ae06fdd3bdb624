"""How a benchmark times an operation on a small, shared, noisy machine.

The rule it keeps: a throughput is the median of one-second windows (the mean over the run is
kept beside it), so a burst of someone else's load moves a window, not the figure; every
worker makes one untimed warm-up call first; a failed operation is counted and reported, never
timed; a latency is a nearest-rank percentile of the samples.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench._report import Out

__all__ = ["Run", "percentile", "report_errors", "timed"]


@dataclass
class Run:
    """Completion times of the operations of one timed run."""

    start: float
    seconds: float
    stamps: list[float] = field(default_factory=list)
    errors: int = 0
    last_error: str = ""

    def rates(self, per_op: int) -> tuple[float, float]:
        """(median of one-second windows, mean over the run), in units per second."""
        width = 1.0 if self.seconds >= 5 else self.seconds / 5
        windows = max(1, int(self.seconds / width + 1e-9))
        counts = [0] * windows
        done = 0
        for stamp in self.stamps:
            offset = stamp - self.start
            slot = int(offset / width)
            if 0 <= slot < windows:
                counts[slot] += 1
            if offset <= self.seconds:
                done += 1
        return statistics.median(counts) * per_op / width, done * per_op / self.seconds


async def timed(workers: int, seconds: float, operation: Callable[[], Awaitable[None]]) -> Run:
    """Run ``operation`` in a loop on ``workers`` concurrent tasks for ``seconds``, after one
    untimed warm-up call per worker (it fills the pool and the statement caches)."""
    await asyncio.gather(*(operation() for _ in range(workers)))
    run = Run(start=time.perf_counter(), seconds=seconds)
    deadline = run.start + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                await operation()
            except Exception as error:
                run.errors += 1
                run.last_error = f"{type(error).__name__}: {error}"[:300]
                if run.errors > 100:
                    raise
            else:
                run.stamps.append(time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(workers)))
    return run


def report_errors(run: Run, out: Out) -> int:
    if run.errors:
        out(f"  ! {run.errors} operation(s) failed; the last: {run.last_error}")
    return run.errors


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]
