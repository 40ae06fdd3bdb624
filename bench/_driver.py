"""The HTTP benchmark's load driver: a process of its own that drives the service at C
connections for a fixed time per scenario and prints what it saw as one JSON document.

The rule it keeps: every answer is judged: a 2xx is a success and is timed, anything else
(or a broken connection, status 0) is an error, counted by status with the first body kept,
and a scenario with errors is reported as such, never as a figure. Each connection sends one
request at a time (keep-alive, :mod:`bench._http_client`); a scenario that runs out of work
(every voucher consumed, every sheet approved) stops early and is timed to where it stopped.
Consumes scan the vouchers the redemptions made, as the voucher's merchant, each merchant
token with at most one scan in flight.

Run as ``python -m bench._driver PLAN.json``; the plan is written by :mod:`bench.http`.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench._http_client import Connection, request_bytes

__all__ = ["MIX", "SCENARIOS", "main"]

Pick = tuple[str, bytes, Callable[[bytes], None] | None] | None
MIX = {"balance": 50, "statement": 20, "redeem": 12, "consume": 12, "approve": 6}
SCENARIOS = ("balance", "statement", "redeem", "consume", "approve", "mix")


@dataclass
class Tally:
    """What one kind of request got in one scenario."""

    samples: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""

    def note(self, status: int, millis: float, body: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            self.samples.append(millis)
        elif not self.first_error:
            self.first_error = f"{status}: {body[:300].decode(errors='replace')}"


class Street:
    """The loaded street as the driver uses it: who to ask for what, and what is left."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.volunteers: list[tuple[str, str]] = [tuple(v) for v in plan["volunteers"]]
        self.rewards: list[tuple[str, int]] = [tuple(r) for r in plan["rewards"]]
        self.merchants: list[list[str]] = plan["merchants"]
        self.sheets: deque[tuple[int, str]] = deque(tuple(s) for s in plan["sheets"])
        self.vouchers: list[deque[str]] = [deque() for _ in self.merchants]
        self.mix_sheets: deque[tuple[int, str]] = deque()
        share = len(self.sheets) * 3 // 10  # kept back for the mix
        for _ in range(share):
            self.mix_sheets.append(self.sheets.pop())

    def _volunteer(self) -> tuple[str, str]:
        return random.choice(self.volunteers)

    def balance(self, _worker: int) -> Pick:
        number, token = self._volunteer()
        raw = request_bytes(
            "GET", f"/api/passbooks/{number}", headers={"Authorization": f"Bearer {token}"}
        )
        return "balance", raw, None

    def statement(self, _worker: int) -> Pick:
        number, token = self._volunteer()
        raw = request_bytes(
            "GET",
            f"/api/passbooks/{number}/statement?limit=20",
            headers={"Authorization": f"Bearer {token}"},
        )
        return "statement", raw, None

    def redeem(self, _worker: int) -> Pick:
        number, token = self._volunteer()
        code, merchant = random.choice(self.rewards)
        raw = request_bytes(
            "POST",
            f"/api/rewards/{code}/redemptions",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            body=json.dumps({"passbook": number, "quantity": 1}).encode(),
        )

        def keep(body: bytes) -> None:
            for voucher in json.loads(body)["vouchers"]:
                self.vouchers[merchant].append(voucher["code"])

        return "redeem", raw, keep

    def consume(self, worker: int) -> Pick:
        count = len(self.merchants)
        for step in range(count):
            merchant = (worker + step) % count
            if self.vouchers[merchant]:
                break
        else:
            return None
        tokens = self.merchants[merchant]
        token = tokens[(worker // count) % len(tokens)]
        raw = request_bytes(
            "POST",
            "/api/scan/consume",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            body=json.dumps({"code": self.vouchers[merchant].popleft()}).encode(),
        )
        return "consume", raw, None

    def approve(self, _worker: int, sheets: deque[tuple[int, str]] | None = None) -> Pick:
        sheets = self.sheets if sheets is None else sheets
        if not sheets:
            return None
        sheet_id, token = sheets.popleft()
        raw = request_bytes(
            "POST", f"/api/sheets/{sheet_id}/approve", headers={"Authorization": f"Bearer {token}"}
        )
        return "approve", raw, None

    def mix(self, worker: int) -> Pick:
        kind = random.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind == "approve":
            picked = self.approve(worker, self.mix_sheets)
        else:
            picked = getattr(self, kind)(worker)
        return picked if picked is not None else self.balance(worker)


async def drive(
    port: int, connections: int, seconds: float, pick: Callable[[int], Pick]
) -> tuple[dict[str, Tally], float]:
    """Run ``pick``'s requests on ``connections`` connections for ``seconds`` (or until it
    has none left); the tallies by kind and the seconds it ran."""
    tallies: dict[str, Tally] = {}
    began = time.perf_counter()
    deadline = began + seconds
    ended = [began]

    async def worker(n: int) -> None:
        connection = Connection(port)
        try:
            while time.perf_counter() < deadline:
                picked = pick(n)
                if picked is None:
                    break
                kind, raw, then = picked
                start = time.perf_counter()
                try:
                    status, body = await connection.send(raw)
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    status, body = 0, repr(error).encode()
                    connection.close()
                done = time.perf_counter()
                tally = tallies.setdefault(kind, Tally())
                tally.note(status, (done - start) * 1000, body)
                if then is not None and 200 <= status < 300:
                    then(body)
            ended.append(time.perf_counter())
        finally:
            connection.close()

    await asyncio.gather(*(worker(n) for n in range(connections)))
    return tallies, min(max(ended), deadline) - began


def _ping(_worker: int) -> Pick:
    return "ping", request_bytes("GET", "/ping"), None


async def _run(plan: dict[str, Any]) -> dict[str, Any]:
    port, connections, seconds = plan["port"], plan["connections"], plan["seconds"]
    found: dict[str, Any] = {}
    if plan["scenarios"] == ["ping"]:
        scenarios: list[tuple[str, Callable[[int], Pick]]] = [("ping", _ping)]
    else:
        street = Street(plan)
        await drive(port, connections, plan.get("warm_seconds", 1.0), street.balance)
        scenarios = [(name, getattr(street, name)) for name in plan["scenarios"]]
    for name, pick in scenarios:
        tallies, ran = await drive(port, connections, seconds, pick)
        found[name] = {
            "seconds": ran,
            "kinds": {
                kind: {
                    "samples": t.samples,
                    "statuses": t.statuses,
                    "first_error": t.first_error,
                }
                for kind, t in tallies.items()
            },
        }
    return found


def main(argv: list[str]) -> None:
    with open(argv[0]) as f:
        plan = json.load(f)
    runner: Callable[..., Any] = asyncio.run
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        runner = uvloop.run
    except ImportError:
        pass
    json.dump(runner(_run(plan)), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
