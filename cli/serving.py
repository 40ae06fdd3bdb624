"""Running the service under a production ASGI server with several worker processes.

Invariants: every worker gets the same settings, through the environment (``PASSBOOK_*``),
so no worker serves another database or signs the pages' CSRF tokens with another secret;
the migrations and the demo load ran once in this (the parent) process before any worker
starts. SIGTERM to the parent stops the listeners and lets the requests in flight finish
before the workers exit (both servers shut down gracefully with no time limit by default).
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum

import db
from config import Settings

WORKER_APP = "api.serving:worker_app"


class Server(StrEnum):
    GRANIAN = "granian"
    UVICORN = "uvicorn"


DEFAULT_SERVER = Server.GRANIAN


def default_workers(database_url: str) -> int:
    """One worker per core on PostgreSQL; one on SQLite, whose single writer serialises
    every write of every process on the file's lock (docs/operations.md)."""
    if db.dialect_of(database_url) is db.Dialect.POSTGRESQL:
        return os.cpu_count() or 1
    return 1


def worker_environment(settings: Settings, workers: int) -> dict[str, str]:
    """The ``PASSBOOK_*`` variables the workers read their settings from: the database the
    command was given and, when several workers serve the pages and no secret was set, one
    CSRF secret made here for all of them (each would otherwise make its own)."""
    environment = {"PASSBOOK_DATABASE_URL": settings.database_url}
    if workers > 1 and settings.csrf_secret is None:
        environment["PASSBOOK_CSRF_SECRET"] = secrets.token_urlsafe(48)
    return environment


def run(settings: Settings, *, host: str, port: int, workers: int, server: Server) -> None:
    """Serve until SIGTERM or SIGINT with ``workers`` processes under ``server``."""
    os.environ.update(worker_environment(settings, workers))
    if server is Server.GRANIAN:
        _run_granian(host, port, workers)
    else:
        _run_uvicorn(host, port, workers)


def _run_granian(host: str, port: int, workers: int) -> None:
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server as Granian

    Granian(
        WORKER_APP,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        log_level=LogLevels.info,
    ).serve()


def _run_uvicorn(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        WORKER_APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="info",
    )
