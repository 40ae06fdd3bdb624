"""pgbench, the yardstick of the PostgreSQL benchmarks.

The rule it keeps: our figures are compared as ratios to pgbench's built-in TPC-B-like
script, run on the same server in the same run (right after the figure it is compared with),
so both see much the same machine. pgbench runs in its own scratch database
:data:`bench._scratch.PGBENCH_DATABASE`, made by :meth:`PgBench.setup` and dropped by
:meth:`PgBench.teardown`, never in the one configured. Its throughput is the median of its
one-second progress reports, the same way ours is the median of one-second windows.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
from pathlib import Path

from sqlalchemy.engine import make_url

from bench._report import Out
from bench._scratch import PGBENCH_DATABASE, admin

__all__ = ["PGBENCH_SCALE", "PgBench"]

PGBENCH_SCALE = 10

_TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)
_PROGRESS = re.compile(r"^progress: [0-9.]+ s, ([0-9.]+) tps", re.MULTILINE)


class PgBench:
    """pgbench's TPC-B-like script in the scratch database :data:`PGBENCH_DATABASE`."""

    def __init__(self, database_url: str, out: Out) -> None:
        self.url = make_url(database_url)
        self.out = out
        self.database_url = database_url
        self.tps: float | None = None
        self.tps_mean: float | None = None
        self.seconds = 0
        self.failure = ""

    def _env(self, database: str = PGBENCH_DATABASE) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in (
            ("PGHOST", self.url.host),
            ("PGPORT", self.url.port),
            ("PGUSER", self.url.username),
            ("PGPASSWORD", self.url.password),
        ):
            if value is not None:
                env[name] = str(value)
        env["PGDATABASE"] = database
        return env

    async def _pgbench(self, *args: str, database: str = PGBENCH_DATABASE) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            "pgbench",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env(database),
        )
        stdout, stderr = await process.communicate()
        return process.returncode or 0, stdout.decode(), stderr.decode()

    async def setup(self) -> None:
        self.out(f"· pgbench -i -s {PGBENCH_SCALE} into scratch database {PGBENCH_DATABASE}")
        await admin(
            self.database_url,
            f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE)",
            f"CREATE DATABASE {PGBENCH_DATABASE}",
        )
        code, _stdout, stderr = await self._pgbench("-i", "-s", str(PGBENCH_SCALE), "-q")
        if code != 0:
            self.failure = f"pgbench -i exited {code}: {stderr.strip()[-300:]}"

    async def run(self, seconds: float) -> None:
        if self.failure:
            return
        self.seconds = max(1, round(seconds))  # pgbench takes whole seconds
        self.out(f"· pgbench -c 8 -j 2 -T {self.seconds} -n (tpcb-like)")
        run = await self.script(None, seconds, clients=8)
        if isinstance(run, str):
            self.failure = run
            return
        self.tps, self.tps_mean = run

    async def script(
        self,
        script: Path | None,
        seconds: float,
        *,
        clients: int,
        database: str = PGBENCH_DATABASE,
        defines: dict[str, int] | None = None,
    ) -> tuple[float, float] | str:
        """Run ``script`` (None: the built-in tpcb-like) with ``clients`` for ``seconds`` in
        ``database``: its tps as (median of the one-second reports, mean), or why it failed."""
        args = ["-c", str(clients), "-j", "2", "-T", str(max(1, round(seconds))), "-n", "-P", "1"]
        if script is not None:
            args += ["-f", str(script)]
        for name, value in (defines or {}).items():
            args += ["-D", f"{name}={value}"]
        code, stdout, stderr = await self._pgbench(*args, database=database)
        mean = _TPS.search(stdout)
        if code != 0 or mean is None:
            return f"pgbench exited {code}: {(stderr or stdout).strip()[-300:]}"
        windows = [float(tps) for tps in _PROGRESS.findall(stderr)]
        return (statistics.median(windows) if windows else float(mean[1])), float(mean[1])

    async def teardown(self) -> None:
        self.out(f"· dropping scratch database {PGBENCH_DATABASE}")
        await admin(self.database_url, f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE)")
