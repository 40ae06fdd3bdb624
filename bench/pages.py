"""The pages benchmark: how fast the real service answers each page, on a scratch database
with the demo data (never the database configured).

The service is ``passbook serve`` on a free loopback port (one process, started by
:mod:`bench._service`); the demo volunteer's PIN is set through the registry's use case (the
API's ``PUT /api/volunteers/{number}/pin`` as the demo admin), the volunteer signs in, and
each page is requested N times one after another with that session. Pages this build does
not have (404) are reported as such. The rule it keeps: figures are printed with the
machine's load average beside them; nothing here is a test.
"""

from __future__ import annotations

import os
import time

import httpx

import db
from bench._report import Out
from bench._scratch import PAGES_DATABASE, scratch_database
from bench._service import serve
from bench._timing import percentile

NUMBER = "YZS1-0001"
PIN = "2580"
ADMIN = "pb_demo_admin"
PAGES = ["/", "/passbook", "/rewards", "/vouchers", f"/passbooks/{NUMBER}/print", "/check"]


async def _session(client: httpx.AsyncClient) -> str:
    answer = await client.put(
        f"/api/volunteers/{NUMBER}/pin",
        json={"pin": PIN},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    answer.raise_for_status()
    signed = await client.post("/api/sign-in", json={"passbook_number": NUMBER, "pin": PIN})
    signed.raise_for_status()
    token: str = signed.json()["token"]
    return token


async def _time(client: httpx.AsyncClient, path: str, requests: int) -> list[float] | int:
    """Milliseconds of each request, or the status if the page does not answer 200."""
    samples: list[float] = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = await client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            return answer.status_code
    return samples


async def run_pages_bench(database_url: str, *, requests: int, out: Out = print) -> None:
    """Print p50/p99 of each page over ``requests`` requests, signed in as the demo
    volunteer."""
    async with scratch_database(database_url, out, PAGES_DATABASE) as url:
        results: dict[str, list[float] | int] = {}
        async with (
            serve(url, demo=True, workers=1) as service,
            httpx.AsyncClient(base_url=service.base, timeout=60) as client,
        ):
            token = await _session(client)
            client.cookies.set("passbook_session", token)
            load_before = os.getloadavg()[0]
            for path in PAGES:
                await _time(client, path, 3)  # warm: templates compiled, pool open
                results[path] = await _time(client, path, requests)
            load_after = os.getloadavg()[0]
    out("")
    out(
        f"pages benchmark ({db.dialect_of(database_url).value}; {os.cpu_count()} cores; load "
        f"average {load_before:.2f} before, {load_after:.2f} after; one service process; "
        f"signed in as the demo volunteer {NUMBER}; {requests} requests a page, one at a time)"
    )
    for path, found in results.items():
        if isinstance(found, int):
            out(f"  {path:<28} answers {found} in this build: not timed")
            continue
        ordered = sorted(found)
        out(
            f"  {path:<28} p50 {percentile(ordered, 50):7.1f} ms   p99 "
            f"{percentile(ordered, 99):7.1f} ms   ({len(ordered)} requests)"
        )
