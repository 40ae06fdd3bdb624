"""The real ``passbook serve --workers N`` as a subprocess on a free 127.0.0.1 port, and what
the tests observe of its processes from outside (Linux's /proc): its workers, and which
worker holds each connection.

Invariant: a test owns exactly the process it started and ends it by its id (SIGTERM, then
SIGKILL if it lingers); the workers die with it (api/serving.py). Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.service import HOST, free_port, serve_command

START_TIMEOUT_SECONDS = 120.0


@dataclass
class Service:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def workers(self) -> set[int]:
        """The ids of the worker processes the service's own process started (not
        multiprocessing's resource tracker, which uvicorn's spawned workers come with)."""
        return {
            pid for pid in children_of(self.process.pid) if b"resource_tracker" not in _cmdline(pid)
        }

    def said(self) -> str:
        return self.log.read_text(errors="replace")


def children_of(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def socket_owners(pids: set[int]) -> dict[int, int]:
    """Socket inode -> the process among ``pids`` holding it open."""
    owners = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        owners[int(target[8:-1])] = pid
    return owners


def server_side_inode(port: int, client_port: int) -> int | None:
    """The inode of the server's end of the established connection from ``client_port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if (
            state == "01"
            and int(local.split(":")[1], 16) == port
            and int(remote.split(":")[1], 16) == client_port
        ):
            return inode
    return None


async def start_only(database_url: str, log: Path, *args: str) -> Service:
    """``passbook serve ARGS`` on a free port against ``database_url`` (migrated), the demo
    loaded; returns at once."""
    port = free_port()
    with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
        process = await asyncio.create_subprocess_exec(
            *serve_command(database_url, port, demo=True),
            *args,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Service(process, port, log)


async def start(database_url: str, log: Path, *args: str) -> Service:
    """:func:`start_only`, returning once /health answers."""
    service = await start_only(database_url, log, *args)
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_SECONDS
    async with httpx.AsyncClient(base_url=service.base, timeout=2.0) as probe:
        while asyncio.get_running_loop().time() < deadline:
            if service.process.returncode is not None:
                raise AssertionError(f"passbook serve exited while starting:\n{service.said()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await probe.get("/health")).status_code == 200:
                    return service
            await asyncio.sleep(0.2)
    await stop(service)
    raise AssertionError(f"passbook serve did not come up:\n{service.said()}")


async def stop(service: Service) -> None:
    if service.process.returncode is None:
        service.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(service.process.wait(), 20)
        except TimeoutError:
            service.process.kill()
            await service.process.wait()


@contextlib.asynccontextmanager
async def serving(database_url: str, log: Path, *args: str) -> AsyncIterator[Service]:
    service = await start(database_url, log, *args)
    try:
        yield service
    finally:
        await stop(service)
