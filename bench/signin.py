"""The sign-in flood benchmark: how fast other requests are answered while many sign-ins with
unknown passbook numbers arrive at once, on a scratch database (never the one configured).

Three processes, as in real use: the service (``passbook serve`` on a free loopback port, one
worker), a flood process sending waves of ``flood`` concurrent sign-ins with numbers that do
not exist, and this one, which times ``/health`` and a passbook read (a kept balance) one
after another, first with no flood, then during it. Only loopback is ever called. The rule it
keeps: figures are printed with the machine's load average beside them; nothing here is a test.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx

import community
import db
from bench._report import Out
from bench._scratch import SIGNIN_DATABASE, scratch_database
from bench._service import serve
from bench._timing import percentile

NUMBER = "BS-0001"
PIN = "2580"


async def _setup(url: str) -> None:
    engine = db.create_engine(url)

    async def use_case(conn: db.Connection) -> None:
        await community.add_org_unit(conn, code="bs", name="基准街道", kind="street")
        await community.add_org_unit(
            conn, code="bs-c", name="基准社区", kind="community", parent_code="bs"
        )
        await community.add_org_unit(
            conn, code="bs-g", name="基准网格", kind="grid", parent_code="bs-c"
        )
        await community.register_volunteer(
            conn, passbook_number=NUMBER, name="基准志愿者", grid_code="bs-g"
        )
        await community.set_pin(conn, NUMBER, PIN)

    try:
        await db.run_in_transaction(engine, use_case)
    finally:
        await engine.dispose()


async def _probe(base: str, token: str, seconds: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"health": [], "balance": []}
    until = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.perf_counter() < until:
            for name, path, headers in (
                ("health", "/health", {}),
                ("balance", f"/api/passbooks/{NUMBER}", {"Authorization": f"Bearer {token}"}),
            ):
                start = time.perf_counter()
                response = await client.get(path, headers=headers)
                samples[name].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
            await asyncio.sleep(0.01)
    return samples


async def _flood(base: str, flood: int, seconds: float) -> dict[int, int]:
    """Waves of ``flood`` concurrent sign-ins with unknown numbers, for ``seconds``."""
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=flood, max_keepalive_connections=flood)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        wave = 0

        async def one(n: int) -> None:
            body = {"passbook_number": f"BX-{wave:03d}{n:05d}", "pin": "7391"}
            try:
                status = (await client.post("/api/sign-in", json=body)).status_code
            except httpx.HTTPError:
                status = 0
            statuses[status] = statuses.get(status, 0) + 1

        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            await asyncio.gather(*(one(n) for n in range(flood)))
            wave += 1
    return statuses


def flood_main(base: str, flood: int, seconds: float) -> None:
    """The flood process: prints its answers' statuses as one line."""
    statuses = asyncio.run(_flood(base, flood, seconds))
    print(", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())), flush=True)


def _line(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    return (
        f"  {name:<14} p50 {percentile(ordered, 50):7.1f} ms   p99 "
        f"{percentile(ordered, 99):7.1f} ms   ({len(ordered)} requests)"
    )


async def run_signin_bench(
    database_url: str, *, flood: int, seconds: float, out: Out = print
) -> None:
    """Print p50/p99 of /health and a balance read, alone and under a sign-in flood."""
    async with scratch_database(database_url, out, SIGNIN_DATABASE) as url:
        await _setup(url)
        async with serve(url, workers=1) as service:
            base = service.base
            async with httpx.AsyncClient(base_url=base) as client:
                signed = await client.post(
                    "/api/sign-in", json={"passbook_number": NUMBER, "pin": PIN}
                )
            token = signed.json()["token"]
            out(f"· {seconds:g} s of /health and a balance read with no flood")
            alone = await _probe(base, token, seconds)
            load_before = os.getloadavg()[0]
            out(f"· {seconds:g} s of the same during waves of {flood} sign-ins (unknown numbers)")
            flooder = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                f"from bench.signin import flood_main; flood_main({base!r}, {flood}, {seconds})",
                stdout=subprocess.PIPE,
            )
            await asyncio.sleep(0.5)  # let the first wave arrive
            flooded = await _probe(base, token, seconds - 1)
            answered = (await flooder.communicate())[0].decode()
            load_after = os.getloadavg()[0]
    out("")
    out(
        f"sign-in flood benchmark ({db.dialect_of(database_url).value}; {os.cpu_count()} "
        f"cores; load average {load_before:.2f} before the flood, {load_after:.2f} after)"
    )
    out(f"  sign-ins at once per process: {community.HASHES_AT_ONCE}; one service process")
    out("no flood")
    out(_line("/health", alone["health"]))
    out(_line("balance read", alone["balance"]))
    out(f"during waves of {flood} concurrent sign-ins with unknown numbers")
    out(_line("/health", flooded["health"]))
    out(_line("balance read", flooded["balance"]))
    out(f"  sign-in answers   {answered.strip()}")
