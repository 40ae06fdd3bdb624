"""``passbook serve --workers 2`` on the run's database: two processes really serve, and
SIGTERM lets a request in flight finish, then the service exits 0 and takes no new
connection. The request is kept in flight by the test itself: it holds the volunteer's row
(PostgreSQL) or SQLite's write lock, so the PATCH waits inside the service (busy_timeout on
SQLite) until the test lets go."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from tests.serving._service import (
    HOST,
    Service,
    server_side_inode,
    serving,
    socket_owners,
    start_only,
)

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
NUMBER = "YZS1-0001"
ONE_REQUEST = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"


def served_by(service: Service, tries: int = 64) -> set[int]:
    """The workers that answered: open connections one by one (each asks /health once and
    stays open) until two workers hold some, or ``tries`` are open; the workers holding
    the server's end of them, read from /proc."""
    workers = service.workers()
    assert len(workers) == 2, service.said()
    held: list[socket.socket] = []
    seen: set[int] = set()
    try:
        for _ in range(tries):
            client = socket.create_connection((HOST, service.port), timeout=10)
            held.append(client)
            client.sendall(ONE_REQUEST)
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
            inode = server_side_inode(service.port, client.getsockname()[1])
            owner = socket_owners(workers).get(inode) if inode is not None else None
            if owner is not None:
                seen.add(owner)
            if len(seen) == 2:
                break
    finally:
        for client in held:
            client.close()
    return seen


async def test_two_workers_serve_from_two_processes(database_url: str, tmp_path: Path) -> None:
    async with serving(database_url, tmp_path / "serve.log", "--workers", "2") as service:
        workers = service.workers()
        seen = await asyncio.to_thread(served_by, service)
        assert seen == workers, service.said()
        assert service.process.pid not in seen  # the parent only supervises
        async with httpx.AsyncClient(base_url=service.base, headers=ADMIN) as client:
            answers = [await client.get(f"/api/passbooks/{NUMBER}") for _ in range(4)]
            # a proxy on this machine (FORWARDED_ALLOW_IPS' default) says the client used
            # HTTPS: the answer carries HSTS, as it does under uvicorn
            proxied = await client.get(
                "/health",
                headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
            )
            plain = await client.get("/health")
        assert {a.status_code for a in answers} == {200}
        assert {a.json()["available"] for a in answers} == {120}
        assert proxied.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in plain.headers


@contextlib.asynccontextmanager
async def volunteer_held(engine: AsyncEngine) -> AsyncIterator[None]:
    """What a change of the volunteer must wait for, held by the test."""
    async with db.transaction(engine) as conn:  # SQLite: BEGIN IMMEDIATE, the write lock
        if db.dialect_of(engine) is db.Dialect.POSTGRESQL:
            await conn.execute(
                text("SELECT id FROM volunteer WHERE passbook_number = :n FOR UPDATE"),
                {"n": NUMBER},
            )
        yield


async def waits_on_a_lock(engine: AsyncEngine) -> bool:
    """Whether some session of this database waits on a lock (PostgreSQL only)."""
    async with db.read_transaction(engine) as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def refused(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as client:
            client.sendall(ONE_REQUEST)
            return client.recv(4096) == b""
    except OSError:
        return True


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
async def test_sigterm_lets_the_request_in_flight_finish(
    database_url: str, engine: AsyncEngine, tmp_path: Path, server: str
) -> None:
    log = tmp_path / "serve.log"
    async with serving(database_url, log, "--workers", "2", "--server", server) as service:
        assert len(await asyncio.to_thread(served_by, service)) == 2  # both workers are up
        holder = db.create_engine(database_url)
        try:
            async with (
                httpx.AsyncClient(base_url=service.base, headers=ADMIN, timeout=60) as client,
            ):
                async with volunteer_held(holder):
                    in_flight = asyncio.create_task(
                        client.patch(f"/api/volunteers/{NUMBER}", json={"name": "王秀芝"})
                    )
                    if db.dialect_of(engine) is db.Dialect.POSTGRESQL:
                        for _ in range(500):
                            if await waits_on_a_lock(engine):
                                break
                            await asyncio.sleep(0.02)
                        else:
                            pytest.fail("the request never reached the lock")
                    else:
                        await asyncio.sleep(1.5)  # it waits on busy_timeout meanwhile
                    assert not in_flight.done()
                    service.process.send_signal(signal.SIGTERM)
                    await asyncio.sleep(1.0)
                    assert not in_flight.done()  # still waiting: the service waits with it
                answer = await asyncio.wait_for(in_flight, 30)
            assert answer.status_code == 200, answer.text
            assert answer.json()["name"] == "王秀芝"
            code = await asyncio.wait_for(service.process.wait(), 10)
        finally:
            await holder.dispose()
        assert code == 0, service.said()
        assert await asyncio.to_thread(refused, service.port)
    async with db.read_transaction(engine) as conn:
        name = await conn.scalar(
            text("SELECT name FROM volunteer WHERE passbook_number = :n"), {"n": NUMBER}
        )
    assert name == "王秀芝"  # committed, not just answered


async def test_sigterm_while_the_workers_start_ends_the_service(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    service = await start_only(database_url, log, "--workers", "2")
    try:
        for _ in range(1200):  # the supervisor has started its workers; they import the app
            if b"Spawning worker-2" in log.read_bytes():
                break
            await asyncio.sleep(0.05)
        service.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(service.process.wait(), 60)
    finally:
        if service.process.returncode is None:
            service.process.kill()
            await service.process.wait()
    assert code == 0, service.said()
    assert not service.workers()
