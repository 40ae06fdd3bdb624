"""How the tests start the real service: the ``passbook`` script, a free port, the command line.

Invariant: the browser tests (``tests/browser/live.py``) and the bank test
(``tests/chaos/_service.py``) start ``passbook serve`` the same way, on 127.0.0.1 only, with
the schema already migrated (``--no-migrate``), so what one harness proves about the service
holds for the other. Each harness keeps its own process handling (the browser tests' is
synchronous; the bank test's is asyncio and kills and restarts the service).
"""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

HOST = "127.0.0.1"


def passbook_command() -> list[str]:
    """The ``passbook`` script of the interpreter running the tests."""
    script = Path(sys.executable).with_name("passbook")
    if script.exists():
        return [str(script)]
    found = shutil.which("passbook")
    if found is None:
        raise RuntimeError("No 'passbook' command: install the project (pip install -e .).")
    return [found]


def free_port() -> int:
    """A TCP port nobody listens on at this moment (the service binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def serve_command(database_url: str, port: int, *, demo: bool) -> list[str]:
    """``passbook serve`` on 127.0.0.1:``port`` and an already migrated database, with or
    without the demo data."""
    return [
        *passbook_command(),
        "serve",
        "--database-url",
        database_url,
        "--host",
        HOST,
        "--port",
        str(port),
        "--demo" if demo else "--no-demo",
        "--no-migrate",
    ]


__all__ = ["HOST", "free_port", "passbook_command", "serve_command"]
