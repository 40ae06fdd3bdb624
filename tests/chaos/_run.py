"""One run of the bank test: world, service, load with faults, retries, checks, figures."""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import db
from tests.chaos._checks import (
    READS,
    WRITES,
    CheckFigures,
    RetryFigures,
    check_invariants,
    check_reads,
    check_writes,
    read_books,
    retry_unknowns,
    self_check,
    tally,
)
from tests.chaos._service import Fault, Service, restart_database, wait_database_ready
from tests.chaos._workload import Load, Op, drive
from tests.chaos._world import load_world, scratch_database
from tests.service import free_port, passbook_command


@dataclass(frozen=True)
class Plan:
    database: str  # "sqlite" or "postgresql"
    long_run: bool
    ops: int
    kills: int
    restart_database: bool
    clients: int
    seed: int
    load_seconds: float  # the load stops here even if the ops are not all done

    @property
    def mode(self) -> str:
        return "long" if self.long_run else "short"


@dataclass
class Outcome:
    anomalies: list[str]
    faults: list[Fault]
    per_kind: dict[str, Any]
    retry: RetryFigures
    checks: CheckFigures
    verify_ok: bool
    verify_text: str
    ops: int
    planted: int
    caught: int
    reasons: dict[str, Counter[str]]
    deadline_hit: bool
    load_seconds: float
    total_seconds: float
    workdir: Path
    server_errors: list[str]


async def _inject(load: Load, service: Service, plan: Plan, faults: list[Fault]) -> None:
    """Kill the service at evenly spread points of the load (a little jitter), restart it on
    the same port; on PostgreSQL, when asked, restart the database once between two kills."""
    rng = random.Random(plan.seed + 7)
    events: list[tuple[int, str]] = [
        (int(plan.ops * (n + 1) / (plan.kills + 1) + rng.randint(-20, 20)), "sigkill")
        for n in range(plan.kills)
    ]
    if plan.restart_database and plan.database == "postgresql":
        events.append((int(plan.ops * 0.6), "database-restart"))
    for at, kind in sorted(events):
        if not await load.reach(at):
            return
        began = time.monotonic()
        if kind == "sigkill":
            await service.kill()
            await asyncio.sleep(rng.uniform(0.1, 1.0))
            await service.start()
        else:
            await restart_database()
        faults.append(Fault(kind, load.taken, time.monotonic() - began))


async def _verify(url: str) -> tuple[bool, str]:
    process = await asyncio.create_subprocess_exec(
        *passbook_command(),
        "verify",
        "--database-url",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 300)
    except TimeoutError:
        process.kill()
        await process.wait()
        return False, "passbook verify timed out"
    return process.returncode == 0, out.decode(errors="replace").strip()


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="passbook-chaos-run-"))


async def run(plan: Plan, *, server_url: str, keep: bool, workdir: Path) -> Outcome:
    began = time.monotonic()
    anomalies: list[str] = []
    faults: list[Fault] = []
    async with scratch_database(plan.database, server_url, keep) as url:
        print(f"· scratch database ready; loading the world ({plan.mode} run, seed {plan.seed})")
        world = await load_world(url, long_run=plan.long_run)
        service = Service(url, free_port(), workdir / "service.log")
        try:
            await service.start()
            print(
                f"· service on {service.base}; {plan.clients} clients, {plan.ops} operations, "
                f"{plan.kills} SIGKILL" + (", 1 database restart" if plan.restart_database else "")
            )
            load = Load(
                world=world,
                service=service,
                budget=plan.ops,
                seed=plan.seed,
                deadline=time.monotonic() + plan.load_seconds,
            )
            injector = asyncio.create_task(_inject(load, service, plan, faults))
            load_began = time.monotonic()
            try:
                await drive(load, plan.clients)
            finally:
                load.finished.set()
                await asyncio.wait_for(injector, 180)
            load_seconds = time.monotonic() - load_began
            if any(f.kind == "database-restart" for f in faults):
                await wait_database_ready()
            print(f"· load done in {load_seconds:.1f} s; retrying unknown writes, then checking")
            engine = db.create_engine(url)
            try:
                retry = await retry_unknowns(engine, service, load.ops, anomalies)
                verify_ok, verify_text = await _verify(url)
                if not verify_ok:
                    anomalies.append(f"passbook verify failed: {verify_text}")
                books = await read_books(engine)
                checks = CheckFigures()
                check_writes(load.ops, books, anomalies, checks)
                check_invariants(books, anomalies, checks)
                check_reads(load.ops, books, anomalies, checks)
                planted, caught = self_check(load.ops, books)
                if caught < planted:
                    anomalies.append(
                        f"the checks missed {planted - caught} of {planted} planted lies"
                    )
            finally:
                await engine.dispose()
            await service.stop()
        finally:
            await service.kill_now()
    with (workdir / "ops.jsonl").open("w") as log:
        for op in load.ops:
            record = asdict(op)
            record.pop("token")
            log.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return Outcome(
        anomalies=anomalies,
        faults=faults,
        per_kind={k: dict(v) for k, v in tally(load.ops).items()},
        retry=retry,
        checks=checks,
        verify_ok=verify_ok,
        verify_text=verify_text,
        ops=len(load.ops),
        planted=planted,
        caught=caught,
        reasons=_reasons(load.ops),
        deadline_hit=load.deadline_hit,
        load_seconds=load_seconds,
        total_seconds=time.monotonic() - began,
        workdir=workdir,
        server_errors=server_errors(workdir / "service.log"),
    )


_RECORD = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")
# The line naming an exception in a traceback: "sqlalchemy.exc.DBAPIError: ..."
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Group|Exit|Interrupt)\b")


def server_errors(service_log: Path) -> list[str]:
    """Each 500 the service answered, as ``METHOD path: the exception``, read from its log.

    A fault may cost an answer (a 503, a dropped connection) but never an unexplained error:
    they are not anomalies of the books, so they are reported and the log kept to read."""
    found: list[str] = []
    request: str | None = None
    last = ""
    lines = service_log.read_text(errors="replace").splitlines() if service_log.exists() else []
    for line in [*lines, "INFO end"]:
        if _RECORD.match(line):
            if request is not None:
                found.append(f"{request}: {last[:200]}")
                request = None
            if " unexpected error on " in line:
                request, last = line.split(" unexpected error on ", 1)[1], "(no traceback)"
        elif request is not None and _EXCEPTION_LINE.match(line):
            last = line  # the last one is what reached the handler
    answered = sum(1 for line in lines if line.startswith("INFO:") and '" 500 ' in line)
    found += ["a 500 the log does not explain"] * max(0, answered - len(found))
    return found


def _reasons(ops: list[Op]) -> dict[str, Counter[str]]:
    """Per kind, why ops failed (problem codes) or were unknown (error or status)."""
    found: dict[str, Counter[str]] = {}
    for op in ops:
        if op.outcome == "failed":
            found.setdefault(op.kind, Counter())[op.code() or str(op.status)] += 1
        elif op.outcome == "unknown":
            found.setdefault(op.kind, Counter())[f"?{op.error}"] += 1
    return found


def report(plan: Plan, outcome: Outcome, *, keep: bool) -> None:
    out = print
    totals = {"ok": 0, "failed": 0, "unknown": 0}
    for counts in outcome.per_kind.values():
        for k in totals:
            totals[k] += counts.get(k, 0)
    out("")
    out(
        f"bank test with faults · {plan.database} · {plan.mode} · seed {plan.seed} · "
        f"{plan.clients} clients"
    )
    out(
        f"  operations            {outcome.ops:6d}   ok {totals['ok']}  failed {totals['failed']}"
        f"  unknown {totals['unknown']}"
        + ("  (load deadline reached before the budget)" if outcome.deadline_hit else "")
    )
    out(f"  {'kind':<10} {'ok':>7} {'failed':>7} {'unknown':>8}   why (failed codes, ?unknown)")
    for kind in (*WRITES, *READS):
        counts = outcome.per_kind.get(kind, {})
        why = ", ".join(f"{k} {n}" for k, n in outcome.reasons.get(kind, Counter()).most_common())
        out(
            f"  {kind:<10} {counts.get('ok', 0):7d} {counts.get('failed', 0):7d} "
            f"{counts.get('unknown', 0):8d}   {why}"
        )
    kills = [f for f in outcome.faults if f.kind == "sigkill"]
    restarts = [f for f in outcome.faults if f.kind == "database-restart"]
    out(
        f"  faults injected       {len(kills)} SIGKILL"
        + "".join(f" (op {f.at_op}, {f.down_seconds:.1f} s down)" for f in kills)
        + f"; {len(restarts)} database restart"
        + "".join(f" (op {f.at_op}, {f.down_seconds:.1f} s)" for f in restarts)
    )
    r = outcome.retry
    out(
        f"  unknown writes        {r.unknown_writes}, each at most once: {r.present} in the books (retry: "
        f"{r.replayed_ok} replayed), {r.absent} not (retry: {r.applied_now} applied, {r.refused_now} refused, "
        f"{r.unresolved} unresolved); unknown reads {r.unknown_reads}"
    )
    out(
        f"  entries around retries {r.counts_before} before, {r.counts_after_present} after "
        f"retrying those in the books, {r.counts_after_all} after all (waited "
        f"{r.quiesce_seconds:.1f} s for the books to settle)"
    )
    c = outcome.checks
    out(
        f"  books vs answers      {c.ok_in_books} ok writes in the books once, {c.failed_absent} "
        f"failed absent (retries included), {c.replays_same} repeats with the same key answered the same"
    )
    out(
        f"  invariants            {c.negative_accounts} accounts below zero, {c.rewards_checked} "
        f"rewards within stock/quota/limits checked, {c.vouchers_used} vouchers used once each"
    )
    out(
        f"  reads                 {c.balance_reads} balances, {c.statement_reads} statements "
        f"({c.statement_lines} lines), {c.trial_reads} trial balances; issued at the end "
        f"{c.issued_final} in {c.entries_final} entries"
    )
    said = " ".join(outcome.verify_text.split()) or "(no output)"
    out(f"  passbook verify       {'ok' if outcome.verify_ok else 'FAILED'}: {said[:300]}")
    out(
        f"  self-check            the checks caught {outcome.caught} of {outcome.planted} planted lies"
    )
    out(f"  server errors (500)   {len(outcome.server_errors)}")
    for line in outcome.server_errors[:10]:
        out(f"    ? {line}")
    out(f"  anomalies             {len(outcome.anomalies)}")
    for line in outcome.anomalies[:40]:
        out(f"    ! {line}")
    if len(outcome.anomalies) > 40:
        out(f"    … {len(outcome.anomalies) - 40} more")
    out(
        f"  time                  load {outcome.load_seconds:.1f} s, whole run {outcome.total_seconds:.1f} s"
    )
    if outcome.anomalies or outcome.server_errors or keep:
        out(f"  operation log and service log kept in {outcome.workdir}")
    else:
        shutil.rmtree(outcome.workdir, ignore_errors=True)
