"""The service under test as a subprocess, and the faults done to it.

The harness owns exactly one process at a time (the ``passbook serve`` it started) and ends it
by its id: SIGKILL for a fault, SIGTERM then SIGKILL when the run is over. Every wait here has
a deadline, so a service that never comes up fails the run instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from tests.service import serve_command

START_TIMEOUT = 60.0
EXPIRY_INTERVAL_SECONDS = "2"


@dataclass
class Fault:
    kind: str  # "sigkill" or "database-restart"
    at_op: int
    down_seconds: float


class Service:
    def __init__(self, url: str, port: int, log_path: Path) -> None:
        self.url = url
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.up = asyncio.Event()
        self.starts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    async def start(self) -> None:
        if self._process is not None and self._process.returncode is None:
            raise RuntimeError("the service is already running")
        self._log = self.log_path.open("ab")
        self._log.write(f"\n===== start {self.starts + 1} at {time.time():.3f} =====\n".encode())
        self._log.flush()
        env = {
            **os.environ,
            "PASSBOOK_EXPIRY_INTERVAL_SECONDS": EXPIRY_INTERVAL_SECONDS,
            "PASSBOOK_DATABASE_URL": self.url,
        }
        self._process = await asyncio.create_subprocess_exec(
            *serve_command(self.url, self.port, demo=False),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.starts += 1
        await self._wait_healthy()
        self.up.set()

    async def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=2.0) as probe:
            while time.monotonic() < deadline:
                assert self._process is not None
                if self._process.returncode is not None:
                    raise RuntimeError(
                        f"the service exited with {self._process.returncode} while starting; "
                        f"see {self.log_path}"
                    )
                try:
                    answer = await probe.get(f"{self.base}/health")
                    if answer.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the service did not answer /health within {START_TIMEOUT:.0f} s")

    async def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown hooks, no flushing, connections dropped."""
        self.up.clear()
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await self._reap(process, 10.0)

    async def stop(self) -> None:
        """End the service for good: SIGTERM, then SIGKILL if it lingers."""
        self.up.clear()
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await self._reap(process, 10.0)
            except TimeoutError:
                process.send_signal(signal.SIGKILL)
                await self._reap(process, 10.0)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    async def kill_now(self) -> None:
        """Last resort in ``finally``: never leave the subprocess behind."""
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await self._reap(process, 10.0)
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    async def _reap(process: asyncio.subprocess.Process, within: float) -> None:
        await asyncio.wait_for(process.wait(), within)


async def _run(*command: str, within: float) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1, f"{command[0]} timed out after {within:.0f} s"
    return process.returncode or 0, out.decode(errors="replace")


async def restart_database() -> float:
    """Restart the local PostgreSQL cluster in immediate mode (a crash for the server: no
    checkpoint, every connection cut) and wait until it accepts connections. Returns the
    seconds it took. Opt-in only: it breaks every other client of the server."""
    versions = sorted(os.listdir("/etc/postgresql"))
    if not versions:
        raise RuntimeError("no PostgreSQL cluster under /etc/postgresql")
    began = time.monotonic()
    code, out = await _run(
        "pg_ctlcluster",
        "--skip-systemctl-redirect",
        versions[-1],
        "main",
        "restart",
        "-m",
        "immediate",
        within=120,
    )
    if code != 0:
        raise RuntimeError(f"pg_ctlcluster restart failed ({code}): {out}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        code, _ = await _run("pg_isready", "-h", "127.0.0.1", within=10)
        if code == 0:
            return time.monotonic() - began
        await asyncio.sleep(0.25)
    raise RuntimeError("PostgreSQL did not come back within 120 s")


async def wait_database_ready(within: float = 60.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        code, _ = await _run("pg_isready", "-h", "127.0.0.1", within=10)
        if code == 0:
            return True
        await asyncio.sleep(0.5)
    return False
