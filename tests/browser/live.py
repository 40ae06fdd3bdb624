"""The real service for the browser tests: ``passbook serve`` as a subprocess on 127.0.0.1.

Invariant: the test run owns exactly one process here (the ``passbook serve`` it started), on a
scratch database of this run's kind (a copy of the migrated template: a file on SQLite, a
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL) with the demo data loaded, and always ends it by
its id: SIGTERM, then SIGKILL if it lingers. Every wait has a deadline, so a service that never
comes up fails the tests with its log instead of hanging them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.service import HOST, free_port, passbook_command, serve_command

START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class LiveService:
    """A running ``passbook serve``: where it answers, on which database, and its log."""

    url: str  # "http://127.0.0.1:<port>", no trailing slash
    database_url: str
    log_path: Path

    def passbook(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a ``passbook`` command on the service's database (e.g. to issue a sign-in code
        for a page test): ``service.passbook("signin-code", "create", "--role", "merchant",
        ...)``. Its output is in ``.stdout``; with ``check`` a failure raises."""
        return subprocess.run(  # noqa: S603 - our own command, arguments from the test
            [*passbook_command(), *args],
            env={**os.environ, "PASSBOOK_DATABASE_URL": self.database_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the service wrote (for a failure message)."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running_service(database_url: str, log_path: Path) -> Iterator[LiveService]:
    """Start ``passbook serve --demo --no-migrate`` on the (migrated, empty) database, wait for
    ``/health``, yield it, and stop it whatever happens."""
    port = free_port()
    service = LiveService(url=f"http://{HOST}:{port}", database_url=database_url, log_path=log_path)
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command
            serve_command(database_url, port, demo=True),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(service, process)
        yield service
    finally:
        _stop(process)


def _wait_healthy(service: LiveService, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    with httpx.Client(timeout=2.0) as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"passbook serve exited with {process.returncode} while starting:\n"
                    f"{service.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if probe.get(f"{service.url}/health").status_code == 200:
                    return
            time.sleep(0.1)
    raise RuntimeError(
        f"passbook serve did not answer /health within {START_TIMEOUT_SECONDS:.0f} s:\n"
        f"{service.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)


__all__ = ["HOST", "LiveService", "free_port", "passbook_command", "running_service"]
