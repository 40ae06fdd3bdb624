"""``passbook bench observing``: what observing a request costs (api/observing.py).

The wrapper (request id, latency histogram, JSON log line) runs around a trivial ASGI app
that answers at once, so its own work is all that differs; the bare app is measured in the
same run, in alternating rounds, and each figure printed with the difference to it and the
load average. The log line is written to the null device, as a handler would write it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from typing import Any

from access import Principal, Role
from api.observing import ObservedRequests, log_requests_to

_HEADERS = [
    (b"host", b"127.0.0.1"),
    (b"authorization", b"Bearer pb_bench"),
    (b"accept", b"application/json"),
    (b"x-request-id", b"bench-1"),
]
_USER = Principal(token_id=7, role=Role.VOLUNTEER, scope="YZS1-0001", label="bench")
MODES = ("bare app", "ids + histogram", "ids + histogram + log line")


async def _trivial(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


async def _send(_message: Any) -> None:
    return None


async def _round(app: Any, requests: int) -> float:
    """Microseconds a request over ``requests`` signed-in balance reads."""
    start = time.perf_counter()
    for _ in range(requests):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/passbooks/YZS1-0001",
            "path_template": "/api/passbooks/{number}",
            "headers": _HEADERS,
            "state": {},
            "user": _USER,
        }
        await app(scope, _receive, _send)
    return (time.perf_counter() - start) / requests * 1e6


async def run_observing_bench(requests: int, rounds: int) -> list[str]:
    with open(os.devnull, "w") as null:  # noqa: ASYNC230 - the null device never blocks
        log_requests_to(null)
        log = logging.getLogger("passbook.request")
        observed = ObservedRequests(_trivial)
        figures: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(rounds):
            for mode in MODES:
                log.disabled = mode != MODES[2]
                app = _trivial if mode == MODES[0] else observed
                figures[mode].append(await _round(app, requests))
        log.disabled = False
    base = statistics.median(figures[MODES[0]])
    lines = [f"observing a request: {requests} requests a round, median of {rounds} rounds"]
    for mode in MODES:
        median = statistics.median(figures[mode])
        lines.append(f"  {mode:28} {median:8.2f} µs a request  (+{median - base:6.2f} µs)")
    lines.append("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return lines


def main(requests: int = 20_000, rounds: int = 7) -> None:
    for line in asyncio.run(run_observing_bench(requests, rounds)):
        print(line)
