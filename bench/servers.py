"""The server benchmark: the same app under granian and under uvicorn, with the same workers,
in the same run, on a scratch database with the demo loaded (never the one configured).

Two processes besides this one, as in production: ``passbook serve --server S --workers N``
on a free loopback port, and a load driver (:func:`drive_main`, its own process) holding
``connections`` keep-alive connections, each sending one request after another for
``seconds``: a balance read with a bearer token, then ``/health``. The servers take turns
(granian, uvicorn, and again, for ``rounds``), so a burst of someone else's load does not
fall on one server only. The rule it keeps: every figure is printed with the load average
beside it and as a ratio to the other server in the same round; nothing here is a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import db
from bench._http_client import Connection, request_bytes
from bench._report import Out
from bench._scratch import SERVERS_DATABASE, scratch_database
from bench._service import serve
from bench._timing import percentile
from seeds import load_demo

NUMBER = "YZS1-0001"
TOKEN = "pb_demo_admin"  # noqa: S105 (the demo's well-known admin token)
PATHS = {"balance read": f"/api/passbooks/{NUMBER}", "/health": "/health"}


def drive_main(port: int, path: str, connections: int, seconds: float) -> None:
    """The load driver's process: print one JSON line, {"latencies": [...], "errors": n}."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_drive(port, path, connections, seconds))))


async def _drive(port: int, path: str, connections: int, seconds: float) -> dict[str, object]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (start := time.perf_counter()) < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return {"latencies": latencies, "errors": errors, "seconds": seconds}


async def _measure(port: int, path: str, connections: int, seconds: float) -> dict[str, float]:
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"from bench.servers import drive_main; drive_main({port}, {path!r}, "
        f"{connections}, {seconds})",
        stdout=subprocess.PIPE,
    )
    said = json.loads((await driver.communicate())[0])
    latencies = sorted(said["latencies"])
    return {
        "rate": len(latencies) / seconds,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "errors": said["errors"],
        "load": os.getloadavg()[0],
    }


async def _one_server(
    url: str, server: str, workers: int, connections: int, seconds: float
) -> dict[str, dict[str, float]]:
    async with serve(url, workers=workers, extra=["--server", server]) as service:
        await asyncio.sleep(2.0)  # every worker up, not just the first
        warm = Connection(service.port)
        try:
            for path in PATHS.values():  # warm the workers' pools and caches
                for _ in range(20):
                    await warm.send(
                        request_bytes("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
                    )
        finally:
            warm.close()
        return {
            name: await _measure(service.port, path, connections, seconds)
            for name, path in PATHS.items()
        }


async def run_servers_bench(
    database_url: str,
    *,
    workers: int,
    connections: int,
    seconds: float,
    rounds: int,
    out: Out = print,
) -> None:
    """Print req/s, p50 and p99 of each server for each request, round by round."""
    async with scratch_database(database_url, out, name=SERVERS_DATABASE) as url:
        engine = db.create_engine(url)
        try:
            await load_demo(engine)
        finally:
            await engine.dispose()
        out(
            f"server benchmark ({db.dialect_of(database_url).value}; {os.cpu_count()} cores; "
            f"{workers} workers; {connections} connections; {seconds:g} s a figure)"
        )
        for round_number in range(1, rounds + 1):
            figures = {
                server: await _one_server(url, server, workers, connections, seconds)
                for server in ("granian", "uvicorn")
            }
            for name in PATHS:
                g, u = figures["granian"][name], figures["uvicorn"][name]
                for server in figures:
                    f = figures[server][name]
                    out(
                        f"round {round_number}  {name:<13} {server:<8} {f['rate']:7.0f} req/s  "
                        f"p50 {f['p50']:6.1f} ms  p99 {f['p99']:6.1f} ms  errors "
                        f"{f['errors']:.0f}  load average {f['load']:.2f}"
                    )
                out(
                    f"round {round_number}  {name:<13} granian/uvicorn {g['rate'] / u['rate']:.2f}x"
                )
