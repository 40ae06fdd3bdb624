"""Starting the real service for a benchmark, as it runs in production, and stopping it.

The rule it keeps: a benchmark talks to ``passbook serve`` in a subprocess of its own on a
free loopback port (never an app object in the benchmark's process), and only once that
service answers ``/health`` with 200; whatever happens, the service is terminated and waited
for when the benchmark leaves the block, so no server outlives it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bench._http_client import Connection, request_bytes
from bench.bare_app import DSN_VARIABLE

__all__ = [
    "Service",
    "free_port",
    "serve",
    "serve_bare",
    "start_process",
    "wait_until_up",
]

STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class Service:
    """A running server: its base URL and its (top) process id."""

    base: str
    port: int
    pid: int


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_up(
    base: str,
    process: asyncio.subprocess.Process | None = None,
    *,
    path: str = "/health",
    seconds: float = STARTUP_SECONDS,
) -> None:
    """Return once ``base + path`` answers 200; raise if it does not within ``seconds`` or
    the process ends first."""
    port = int(base.rsplit(":", 1)[1])
    probe = request_bytes("GET", path)
    for _ in range(int(seconds / 0.1)):
        if process is not None and process.returncode is not None:
            raise RuntimeError(f"the server ended with code {process.returncode} on start")
        connection = Connection(port)
        try:
            if (await connection.send(probe))[0] == 200:
                return
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            connection.close()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not answer {path} within {seconds:g} s")


@asynccontextmanager
async def start_process(
    argv: Sequence[str], *, port: int, path: str = "/health", env: dict[str, str] | None = None
) -> AsyncIterator[Service]:
    """Run ``argv`` (a server listening on ``port``) until the block ends, once it answers."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(base, process, path=path)
        yield Service(base=base, port=port, pid=process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


@asynccontextmanager
async def serve(
    database_url: str, *, demo: bool = False, workers: int | None = None, extra: Sequence[str] = ()
) -> AsyncIterator[Service]:
    """``passbook serve`` on ``database_url`` (already migrated) on a free loopback port,
    with ``workers`` worker processes if given (else ``passbook serve``'s default)."""
    port = free_port()
    if workers is not None:
        extra = ["--workers", str(workers), *extra]
    argv = [
        sys.executable,
        "-c",
        "from cli.main import main; main()",
        "serve",
        "--database-url",
        database_url,
        "--port",
        str(port),
        "--no-migrate",
        "--demo" if demo else "--no-demo",
        *extra,
    ]
    async with start_process(argv, port=port) as service:
        yield service


@asynccontextmanager
async def serve_bare(dsn: str, *, workers: int) -> AsyncIterator[Service]:
    """The yardstick app (:mod:`bench.bare_app`) on ``dsn`` under the server ``passbook
    serve`` runs under (:func:`cli.serving.serve_target`, the same settings), with as many
    worker processes, on a free loopback port."""
    port = free_port()
    code = (
        "from cli.serving import DEFAULT_SERVER, serve_target; "
        f"serve_target('bench.bare_app:app', factory=False, host='127.0.0.1', port={port}, "
        f"workers={workers}, server=DEFAULT_SERVER)"
    )
    environ = {**os.environ, DSN_VARIABLE: dsn}
    async with start_process(
        [sys.executable, "-c", code], port=port, path="/ping", env=environ
    ) as service:
        yield service
