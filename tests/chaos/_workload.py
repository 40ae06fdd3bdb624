"""The clients and the operation log.

Each client draws its operations from its own seeded random generator. Every request is one
logged :class:`Op` with its outcome: **ok** (a 2xx answer), **failed** (a definite 4xx answer:
the service says it did nothing) or **unknown** (a timeout, a refused or dropped connection, a
5xx: it may or may not have happened). An op keeps what is needed to send it again with the
same idempotency key after the run.

Vouchers and sheets are handed from one operation to the next through shared pools, so at most
one client acts on a voucher during the run: an outcome can then be checked against the books
without guessing who else touched the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from tests.chaos._service import Service
from tests.chaos._world import World, china_today

REQUEST_TIMEOUT = httpx.Timeout(15.0, connect=3.0)

# kind -> weight; a "sheet" is two requests (draft with submit, approve by the colleague)
MIX: dict[str, int] = {
    "sheet": 14,
    "redeem": 24,
    "cancel": 9,
    "consume": 10,
    "balance": 22,
    "statement": 14,
    "trial": 7,
}
REPLAY_SHARE = 0.05  # how often a client repeats a write it just saw succeed (same key)


@dataclass
class Op:
    no: int
    client: int
    kind: str  # draft, approve, redeem, cancel, consume, balance, statement, trial
    method: str
    path: str
    token: str
    body: dict[str, Any] | None
    key: str | None
    started: float = 0.0
    ended: float = 0.0
    outcome: str = "unknown"  # ok, failed, unknown
    status: int | None = None
    answer: Any = None
    error: str = ""
    replay_of: int | None = None  # the op this one repeats with the same key during the run
    # after the run, for unknown ops: "present" or "absent" before the retry, and the retry
    before_retry: str | None = None
    retry_outcome: str | None = None
    retry_status: int | None = None
    retry_answer: Any = None
    # what the op acts on
    sheet_id: int | None = None
    voucher_id: int | None = None
    voucher_code: str | None = None
    passbook: str | None = None

    def code(self) -> str | None:
        """The problem code of a 4xx answer."""
        if isinstance(self.answer, dict):
            found = self.answer.get("code")
            return found if isinstance(found, str) else None
        return None

    def final(self) -> str:
        return self.retry_outcome or self.outcome

    def final_answer(self) -> Any:
        return self.retry_answer if self.retry_outcome == "ok" else self.answer

    def line(self) -> str:
        return (
            f"#{self.no} c{self.client} {self.kind} {self.method} {self.path} key={self.key} "
            f"-> {self.outcome} {self.status or ''} {self.error}"
            + (f" | retry {self.retry_outcome} {self.retry_status}" if self.retry_outcome else "")
        )


@dataclass
class VoucherRef:
    id: int
    code: str
    passbook: str
    reward: str


@dataclass
class Load:
    """Shared state of one run's clients."""

    world: World
    service: Service
    budget: int
    seed: int
    deadline: float
    ops: list[Op] = field(default_factory=list)
    taken: int = 0
    vouchers: list[VoucherRef] = field(default_factory=list)
    deadline_hit: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _marks: list[tuple[int, asyncio.Event]] = field(default_factory=list)

    def take(self) -> int | None:
        if self.taken >= self.budget:
            return None
        if time.monotonic() > self.deadline:
            self.deadline_hit = True
            return None
        self.taken += 1
        for at, reached in self._marks:
            if self.taken >= at:
                reached.set()
        return self.taken

    async def reach(self, at: int) -> bool:
        """Wait until ``at`` operations were taken (True) or the load finished first (False)."""
        reached = asyncio.Event()
        if self.taken >= at:
            return True
        self._marks.append((at, reached))
        ended = asyncio.ensure_future(self.finished.wait())
        hit = asyncio.ensure_future(reached.wait())
        try:
            await asyncio.wait({ended, hit}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            hit.cancel()
        return reached.is_set()


async def send(
    http: httpx.AsyncClient, service: Service, op: Op, *, wait_when_down: bool = True
) -> None:
    """Send ``op`` and record its outcome (and, on a refused connection, wait a little for the
    service to come back, so that clients do not spin while it is down)."""
    headers = {"Authorization": f"Bearer {op.token}"}
    if op.key is not None:
        headers["Idempotency-Key"] = op.key
    op.started = time.monotonic()
    try:
        response = await http.request(
            op.method, f"{service.base}{op.path}", json=op.body, headers=headers
        )
    except httpx.HTTPError as error:
        op.ended = time.monotonic()
        op.outcome = "unknown"
        op.error = type(error).__name__
        if wait_when_down and isinstance(error, httpx.ConnectError):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(service.up.wait(), 1.0)
        return
    op.ended = time.monotonic()
    op.status = response.status_code
    try:
        op.answer = response.json()
    except ValueError:
        op.answer = response.text[:500]
    if 200 <= response.status_code < 300:
        op.outcome = "ok"
    elif 400 <= response.status_code < 500:
        op.outcome = "failed"
    else:
        op.outcome = "unknown"
        op.error = f"HTTP {response.status_code}"


class Client:
    def __init__(self, n: int, load: Load, http: httpx.AsyncClient) -> None:
        self.n = n
        self.load = load
        self.http = http
        self.rng = random.Random(load.seed * 1000 + n)
        self.world = load.world

    def _op(self, no: int, kind: str, method: str, path: str, token: str, **more: Any) -> Op:
        op = Op(no=no, client=self.n, kind=kind, method=method, path=path, token=token, **more)
        self.load.ops.append(op)
        return op

    def _key(self, no: int) -> str:
        return f"chaos-{self.load.seed}-{no}-{self.rng.getrandbits(32):08x}"

    async def run(self) -> None:
        kinds = list(MIX)
        weights = list(MIX.values())
        while (no := self.load.take()) is not None:
            kind = self.rng.choices(kinds, weights)[0]
            if kind in {"cancel", "consume"} and not self.load.vouchers:
                kind = "redeem"
            await getattr(self, f"_{kind}")(no)

    async def _send(self, op: Op) -> Op:
        await send(self.http, self.load.service, op)
        return op

    async def _replay(self, first: Op) -> None:
        """Repeat a write that just succeeded, with the same key: it must answer the same."""
        if self.rng.random() >= REPLAY_SHARE:
            return
        no = self.load.take()
        if no is None:
            return
        again = self._op(
            no,
            first.kind,
            first.method,
            first.path,
            first.token,
            body=first.body,
            key=first.key,
            replay_of=first.no,
            sheet_id=first.sheet_id,
            voucher_id=first.voucher_id,
            voucher_code=first.voucher_code,
            passbook=first.passbook,
        )
        await self._send(again)

    async def _sheet(self, no: int) -> None:
        world = self.world
        grid = self.rng.choice(sorted(world.members))
        author, approver = world.members[grid]
        if self.rng.random() < 0.5:
            author, approver = approver, author
        people = self.rng.sample(world.numbers_by_grid[grid], self.rng.randint(1, 4))
        day = china_today() - timedelta(days=self.rng.randint(1, 50))
        body = {
            "rule": self.rng.choice(world.rules),
            "activity_date": day.isoformat(),
            "place": f"chaos place {self.rng.randint(1, 9)}",
            "lines": [{"passbook": p, "units": self.rng.randint(1, 3)} for p in people],
            "submit": True,
        }
        draft = await self._send(
            self._op(no, "draft", "POST", "/api/sheets", author, body=body, key=self._key(no))
        )
        if draft.outcome != "ok" or not isinstance(draft.answer, dict):
            return
        sheet_id = int(draft.answer["id"])
        draft.sheet_id = sheet_id
        approve_no = self.load.take()
        if approve_no is None:
            return
        approve = await self._send(
            self._op(
                approve_no,
                "approve",
                "POST",
                f"/api/sheets/{sheet_id}/approve",
                approver,
                body=None,
                key=None,
                sheet_id=sheet_id,
            )
        )
        if approve.outcome == "ok":
            await self._replay(approve)

    async def _redeem(self, no: int) -> None:
        world = self.world
        number = self.rng.choice(sorted(world.volunteers))
        plan = self.rng.choice(world.rewards)
        quantity = 1 if self.rng.random() < 0.8 else 2
        op = await self._send(
            self._op(
                no,
                "redeem",
                "POST",
                f"/api/rewards/{plan.code}/redemptions",
                world.volunteers[number],
                body={"quantity": quantity},
                key=self._key(no),
                passbook=number,
            )
        )
        if op.outcome != "ok" or not isinstance(op.answer, dict):
            return
        for v in op.answer.get("vouchers", []):
            code = str(v["code"]).replace("-", "")
            self.load.vouchers.append(VoucherRef(int(v["id"]), code, number, plan.code))
        await self._replay(op)

    def _pick_voucher(self) -> VoucherRef:
        at = self.rng.randrange(len(self.load.vouchers))
        vouchers = self.load.vouchers
        vouchers[at], vouchers[-1] = vouchers[-1], vouchers[at]
        return vouchers.pop()

    async def _cancel(self, no: int) -> None:
        ref = self._pick_voucher()
        token = self.world.volunteers[ref.passbook] if self.rng.random() < 0.7 else self.world.admin
        op = await self._send(
            self._op(
                no,
                "cancel",
                "POST",
                f"/api/vouchers/{ref.id}/cancel",
                token,
                body=None,
                key=None,
                voucher_id=ref.id,
                voucher_code=ref.code,
                passbook=ref.passbook,
            )
        )
        if op.outcome == "ok":
            await self._replay(op)

    async def _consume(self, no: int) -> None:
        ref = self._pick_voucher()
        op = await self._send(
            self._op(
                no,
                "consume",
                "POST",
                "/api/scan/consume",
                self.world.merchant,
                body={"code": ref.code},
                key=self._key(no),
                voucher_id=ref.id,
                voucher_code=ref.code,
                passbook=ref.passbook,
            )
        )
        if op.outcome == "ok":
            await self._replay(op)

    async def _balance(self, no: int) -> None:
        number = self.rng.choice(sorted(self.world.volunteers))
        token = self.world.volunteers[number] if self.rng.random() < 0.6 else self.world.admin
        await self._send(
            self._op(
                no,
                "balance",
                "GET",
                f"/api/passbooks/{number}",
                token,
                body=None,
                key=None,
                passbook=number,
            )
        )

    async def _statement(self, no: int) -> None:
        number = self.rng.choice(sorted(self.world.volunteers))
        await self._send(
            self._op(
                no,
                "statement",
                "GET",
                f"/api/passbooks/{number}/statement?limit=50",
                self.world.volunteers[number],
                body=None,
                key=None,
                passbook=number,
            )
        )

    async def _trial(self, no: int) -> None:
        await self._send(
            self._op(
                no,
                "trial",
                "GET",
                "/api/books/trial-balance",
                self.world.admin,
                body=None,
                key=None,
            )
        )


async def drive(load: Load, clients: int) -> None:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as http:
        await asyncio.gather(*(Client(n, load, http).run() for n in range(clients)))
