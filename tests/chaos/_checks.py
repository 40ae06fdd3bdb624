"""What must hold after the run, read from the tables (read-only) and through the API.

Every finding that breaks a promise is an *anomaly*, a line of text naming the operation and
what the books show. The checks never repair anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from tests.chaos._service import Service
from tests.chaos._workload import REQUEST_TIMEOUT, Op, send

WRITES = ("draft", "approve", "redeem", "cancel", "consume")
READS = ("balance", "statement", "trial")
LIVE = ("issued", "used")  # voucher states that keep their stock, quota and limit place


@dataclass
class Books:
    """The tables the checks read, as rows."""

    sheets: dict[int, Any]
    sheet_by_key: dict[str, list[int]]
    entry_by_key: dict[str, list[int]]
    redemptions_by_key: dict[str, list[Any]]
    vouchers: dict[int, Any]
    vouchers_by_redemption: dict[int, list[Any]]
    holds: dict[int, Any]
    rewards: list[Any]
    quotas: list[Any]
    counters: list[Any]
    accounts: list[Any]
    account_of_passbook: dict[str, int]
    postings: dict[int, dict[int, Any]]  # account -> seq -> posting


def _client_key(stored: str | None) -> str | None:
    """The client's own key from a stored one (``api:<role>:<scope>:<key>``)."""
    if not stored or not stored.startswith("api:"):
        return None
    return stored.rsplit(":", 1)[1]


async def read_books(engine: AsyncEngine) -> Books:
    async with db.read_transaction(engine) as conn:

        async def rows(sql: str) -> list[Any]:
            return list((await conn.execute(text(sql))).all())

        sheets = await rows("SELECT id, status, entry_id, draft_key FROM scoring_sheet")
        entries = await rows("SELECT id, idempotency_key FROM ledger_entry")
        redemptions = await rows("SELECT id, idempotency_key, quantity FROM redemption")
        vouchers = await rows(
            "SELECT id, code, status, redemption_id, hold_id, settle_entry_id, reward_id, "
            "volunteer_id, takes_stock, quota_period, limit_period FROM voucher"
        )
        holds = await rows(
            "SELECT id, status, settle_entry_id, amount, account_id FROM ledger_hold"
        )
        reward_rows = await rows(
            "SELECT id, code, stock_total, stock_used, monthly_quota, per_volunteer_limit "
            "FROM reward"
        )
        quotas = await rows("SELECT reward_id, period, used FROM reward_quota")
        counters = await rows(
            "SELECT reward_id, volunteer_id, period, used FROM redemption_counter"
        )
        accounts = await rows(
            "SELECT id, kind, owner_ref, allow_negative, posted, held FROM ledger_account"
        )
        postings = await rows(
            "SELECT account_id, account_seq, amount, balance_after, entry_id FROM ledger_posting"
        )
    sheet_by_key: dict[str, list[int]] = defaultdict(list)
    for s in sheets:
        if (key := _client_key(s.draft_key)) is not None:
            sheet_by_key[key].append(s.id)
    entry_by_key: dict[str, list[int]] = defaultdict(list)
    for e in entries:
        entry_by_key[e.idempotency_key].append(e.id)
    redemptions_by_key: dict[str, list[Any]] = defaultdict(list)
    for r in redemptions:
        if (key := _client_key(r.idempotency_key)) is not None:
            redemptions_by_key[key].append(r)
    by_redemption: dict[int, list[Any]] = defaultdict(list)
    for v in vouchers:
        if v.redemption_id is not None:
            by_redemption[v.redemption_id].append(v)
    by_account: dict[int, dict[int, Any]] = defaultdict(dict)
    for p in postings:
        by_account[p.account_id][int(p.account_seq)] = p
    return Books(
        sheets={s.id: s for s in sheets},
        sheet_by_key=sheet_by_key,
        entry_by_key=entry_by_key,
        redemptions_by_key=redemptions_by_key,
        vouchers={v.id: v for v in vouchers},
        vouchers_by_redemption=by_redemption,
        holds={h.id: h for h in holds},
        rewards=reward_rows,
        quotas=quotas,
        counters=counters,
        accounts=accounts,
        account_of_passbook={
            a.owner_ref.removeprefix("volunteer:"): a.id for a in accounts if a.kind == "passbook"
        },
        postings=by_account,
    )


async def snapshot(engine: AsyncEngine) -> tuple[Any, ...]:
    """Counts that any write would change: entries, postings, holds by state, redemptions,
    vouchers by state, sheets by state, and the sums of every kind of account."""
    queries = (
        "SELECT count(*) FROM ledger_entry",
        "SELECT count(*) FROM ledger_posting",
        "SELECT status, count(*) FROM ledger_hold GROUP BY status ORDER BY status",
        "SELECT count(*) FROM redemption",
        "SELECT status, count(*) FROM voucher GROUP BY status ORDER BY status",
        "SELECT status, count(*) FROM scoring_sheet GROUP BY status ORDER BY status",
        "SELECT kind, sum(posted), sum(held) FROM ledger_account GROUP BY kind ORDER BY kind",
        "SELECT code, stock_used FROM reward ORDER BY code",
    )
    found: list[tuple[tuple[Any, ...], ...]] = []
    async with db.read_transaction(engine) as conn:
        for query in queries:
            found.append(tuple(tuple(row) for row in (await conn.execute(text(query))).all()))
    return tuple(found)


async def quiesce(engine: AsyncEngine, *, within: float = 45.0) -> float:
    """Wait until requests the clients gave up on (timeouts) have finished in the service:
    the books stop changing for three seconds. Returns how long it took."""
    began = time.monotonic()
    last = await snapshot(engine)
    steady = 0
    while steady < 3 and time.monotonic() - began < within:
        await asyncio.sleep(1.0)
        now = await snapshot(engine)
        steady = steady + 1 if now == last else 0
        last = now
    return time.monotonic() - began


# --- presence of one write in the books -----------------------------------------------------


def approval_key(sheet_id: int) -> str:
    return f"council:sheet:{sheet_id}:approval"


def settlement_key(code: str) -> str:
    return f"voucher:{code}:used"


def times_in_books(op: Op, books: Books) -> int:
    """How many times a write op's effect is in the books (0, 1, or more: a duplicate)."""
    if op.kind == "draft":
        return len(books.sheet_by_key.get(op.key or "", []))
    if op.kind == "approve":
        assert op.sheet_id is not None
        return len(books.entry_by_key.get(approval_key(op.sheet_id), []))
    if op.kind == "redeem":
        return len(books.redemptions_by_key.get(op.key or "", []))
    if op.kind == "consume":
        assert op.voucher_code is not None
        return len(books.entry_by_key.get(settlement_key(op.voucher_code), []))
    if op.kind == "cancel":
        assert op.voucher_id is not None
        return int(books.vouchers[op.voucher_id].status == "cancelled")
    raise AssertionError(op.kind)


# --- retries of unknown writes ----------------------------------------------------------------


@dataclass
class RetryFigures:
    unknown_writes: int = 0
    unknown_reads: int = 0
    present: int = 0
    absent: int = 0
    replayed_ok: int = 0
    applied_now: int = 0
    refused_now: int = 0
    unresolved: int = 0
    counts_before: int = 0
    counts_after_present: int = 0
    counts_after_all: int = 0
    quiesce_seconds: float = 0.0


def _same_answer(op: Op, retry: Op) -> str | None:
    """Why a retry of a write that is already in the books did not answer the stored result."""
    answer = retry.answer if isinstance(retry.answer, dict) else {}
    if retry.outcome != "ok":
        return f"retry answered {retry.status} {answer.get('code') or retry.error}"
    if op.kind == "cancel":
        return None if answer.get("status") == "cancelled" else f"status {answer.get('status')}"
    if answer.get("replayed") is not True:
        return "retry did not answer replayed: true"
    return None


async def _retry(http: httpx.AsyncClient, service: Service, op: Op) -> Op:
    again = Op(
        no=op.no,
        client=op.client,
        kind=op.kind,
        method=op.method,
        path=op.path,
        token=op.token,
        body=op.body,
        key=op.key,
    )
    for _attempt in range(3):
        await send(http, service, again, wait_when_down=False)
        if again.outcome != "unknown":
            break
        await asyncio.sleep(1.0)
    return again


async def retry_unknowns(
    engine: AsyncEngine, service: Service, ops: list[Op], anomalies: list[str]
) -> RetryFigures:
    """Retry every write whose outcome is unknown, with its key, once the service is back.

    Those already in the books must answer their stored result and add nothing (the counts
    of every table are compared before and after); the others are applied now (or refused),
    and a second round of retries must then change nothing at all."""
    figures = RetryFigures()
    figures.quiesce_seconds = await quiesce(engine)
    unknown = [op for op in ops if op.outcome == "unknown" and op.kind in WRITES]
    figures.unknown_writes = len(unknown)
    figures.unknown_reads = sum(1 for op in ops if op.outcome == "unknown" and op.kind in READS)
    # An approve or consume we never learnt the target of cannot be retried; there are none:
    # approve follows an ok draft, consume and cancel take a voucher from an ok redemption.
    books = await read_books(engine)
    present: list[Op] = []
    absent: list[Op] = []
    for op in unknown:
        times = times_in_books(op, books)
        if times > 1:
            anomalies.append(f"unknown op in the books {times} times: {op.line()}")
        (present if times >= 1 else absent).append(op)
        op.before_retry = "present" if times >= 1 else "absent"
    figures.present, figures.absent = len(present), len(absent)
    limits = httpx.Limits(max_connections=16)
    gate = asyncio.Semaphore(16)

    async def retry(op: Op) -> Op:
        async with gate:
            return await _retry(http, service, op)

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as http:
        before = await snapshot(engine)
        # Retries of one unknown after another, not all at once: two unknowns may share a
        # voucher's story (a consume after a cancel is refused), so order by op number.
        answers = [await retry(op) for op in sorted(present, key=lambda o: o.no)]
        after_present = await snapshot(engine)
        for op, again in zip(sorted(present, key=lambda o: o.no), answers, strict=True):
            op.retry_outcome, op.retry_status, op.retry_answer = (
                again.outcome,
                again.status,
                again.answer,
            )
            why = _same_answer(op, again)
            if why is not None:
                anomalies.append(f"retry of an unknown op already in the books: {why}: {op.line()}")
            else:
                figures.replayed_ok += 1
        if after_present != before:
            anomalies.append(
                "retrying unknown ops already in the books changed the books: "
                f"before {before} after {after_present}"
            )
        for op in sorted(absent, key=lambda o: o.no):
            again = await retry(op)
            op.retry_outcome, op.retry_status, op.retry_answer = (
                again.outcome,
                again.status,
                again.answer,
            )
            if again.outcome == "ok":
                figures.applied_now += 1
            elif again.outcome == "failed":
                figures.refused_now += 1
            else:
                figures.unresolved += 1
                anomalies.append(
                    f"retry got no definite answer from the running service: {op.line()}"
                )
        settled = await snapshot(engine)
        # Only what the books now hold is sent a second time. A refusal binds no key (nothing
        # was stored), so a client told "limit reached" that sent the same key again later,
        # after a cancel gave the limit back, would rightly be served: that is a new attempt,
        # not a replay, and the retries above may have cancelled vouchers in just that way.
        answered = [op for op in unknown if op.retry_outcome == "ok"]
        second = await asyncio.gather(*(retry(op) for op in answered))
        after_all = await snapshot(engine)
        if after_all != settled:
            anomalies.append(
                "a second retry of the unknown ops now in the books changed the books: "
                f"{settled} -> {after_all}"
            )
        for op, again in zip(answered, second, strict=True):
            if op.retry_outcome == "ok" and _same_answer(op, again) is not None:
                anomalies.append(
                    f"second retry did not answer the stored result ({again.status}): {op.line()}"
                )
    figures.counts_before = before[0][0][0]
    figures.counts_after_present = after_present[0][0][0]
    figures.counts_after_all = after_all[0][0][0]
    return figures


# --- the books against what the clients were told --------------------------------------------


@dataclass
class CheckFigures:
    ok_in_books: int = 0
    failed_absent: int = 0
    unknown_at_most_once: int = 0
    replays_same: int = 0
    negative_accounts: int = 0
    rewards_checked: int = 0
    vouchers_used: int = 0
    balance_reads: int = 0
    statement_reads: int = 0
    statement_lines: int = 0
    trial_reads: int = 0
    issued_final: int = 0
    entries_final: int = 0
    per_kind: dict[str, Counter[str]] = field(default_factory=dict)


def _answer(op: Op) -> dict[str, Any]:
    found = op.final_answer()
    return found if isinstance(found, dict) else {}


def check_writes(ops: list[Op], books: Books, anomalies: list[str], figures: CheckFigures) -> None:
    first_of: dict[int, Op] = {op.no: op for op in ops}
    for op in ops:
        if op.kind not in WRITES:
            continue
        times = times_in_books(op, books)
        final = op.final()
        answer = _answer(op)
        if final == "ok":
            problem = _ok_problem(op, answer, books, times)
            if problem:
                anomalies.append(f"ok op not in the books as told ({problem}): {op.line()}")
            else:
                figures.ok_in_books += 1
        elif final == "failed":
            # a definite refusal did nothing (a repeat's refusal is judged as a repeat, below)
            if times and op.replay_of is None:
                anomalies.append(f"failed op is in the books ({times}x): {op.line()}")
            else:
                figures.failed_absent += 1
        elif times <= 1:
            figures.unknown_at_most_once += 1
        else:
            anomalies.append(f"unknown op in the books {times} times: {op.line()}")
        if op.replay_of is not None and op.outcome != "unknown":
            first = first_of[op.replay_of]
            why = _replay_problem(first, op)
            if why:
                anomalies.append(
                    f"a repeat with the same key answered differently ({why}): {op.line()}"
                )
            else:
                figures.replays_same += 1


def _ok_problem(op: Op, answer: dict[str, Any], books: Books, times: int) -> str | None:
    if times != 1:
        return f"in the books {times} times"
    if op.kind == "draft":
        sheet_id = books.sheet_by_key[op.key or ""][0]
        return (
            None
            if answer.get("id") == sheet_id
            else f"answered sheet {answer.get('id')}, books {sheet_id}"
        )
    if op.kind == "approve":
        assert op.sheet_id is not None
        sheet = books.sheets[op.sheet_id]
        entry_id = books.entry_by_key[approval_key(op.sheet_id)][0]
        if sheet.status != "approved" or sheet.entry_id != entry_id:
            return f"sheet {sheet.status} with entry {sheet.entry_id}, approval entry {entry_id}"
        if answer.get("entry_id") != entry_id:
            return f"answered entry {answer.get('entry_id')}, books {entry_id}"
        return None
    if op.kind == "redeem":
        found = books.redemptions_by_key[op.key or ""][0]
        if answer.get("id") != found.id:
            return f"answered redemption {answer.get('id')}, books {found.id}"
        vouchers = books.vouchers_by_redemption.get(found.id, [])
        if len(vouchers) != found.quantity:
            return f"{len(vouchers)} vouchers for a quantity of {found.quantity}"
        return None
    if op.kind == "cancel":
        assert op.voucher_id is not None
        v = books.vouchers[op.voucher_id]
        hold = books.holds[v.hold_id]
        if hold.status != "released":
            return f"voucher cancelled but its hold is {hold.status}"
        return None
    if op.kind == "consume":
        assert op.voucher_id is not None
        assert op.voucher_code is not None
        v = books.vouchers[op.voucher_id]
        entry_id = books.entry_by_key[settlement_key(op.voucher_code)][0]
        hold = books.holds[v.hold_id]
        if v.status != "used" or v.settle_entry_id != entry_id:
            return f"voucher {v.status} with settlement {v.settle_entry_id}, entry {entry_id}"
        if hold.status != "settled" or hold.settle_entry_id != entry_id:
            return f"hold {hold.status} settled by {hold.settle_entry_id}"
        if answer.get("entry_id") not in (None, entry_id):
            return f"answered entry {answer.get('entry_id')}, books {entry_id}"
        return None
    return None


def _replay_problem(first: Op, again: Op) -> str | None:
    """A repeat of a write that succeeded, with the same key, must answer the same thing."""
    a = first.answer if isinstance(first.answer, dict) else {}
    b = again.answer if isinstance(again.answer, dict) else {}
    if again.outcome != "ok":
        return f"{again.status} {b.get('code')}"
    if first.kind == "cancel":
        return None if b.get("status") == "cancelled" else f"status {b.get('status')}"
    if b.get("replayed") is not True:
        return "not replayed"
    field_ = "entry_id" if first.kind in {"approve", "consume"} else "id"
    if a.get(field_) != b.get(field_):
        return f"{field_} {a.get(field_)} then {b.get(field_)}"
    return None


def check_invariants(books: Books, anomalies: list[str], figures: CheckFigures) -> None:
    for a in books.accounts:
        if a.held < 0 or (not a.allow_negative and a.posted - a.held < 0):
            figures.negative_accounts += 1
            anomalies.append(
                f"account {a.id} ({a.kind} {a.owner_ref}) below zero: posted {a.posted} held {a.held}"
            )
    live: Counter[int] = Counter()
    by_quota: Counter[tuple[int, str]] = Counter()
    by_limit: Counter[tuple[int, int, str]] = Counter()
    for v in books.vouchers.values():
        hold = books.holds[v.hold_id]
        expected = {
            "issued": ("held",),
            "used": ("settled",),
            "cancelled": ("released",),
            "expired": ("released", "expired"),
        }[v.status]
        if hold.status not in expected:
            anomalies.append(
                f"voucher {v.id} is {v.status} but its hold {hold.id} is {hold.status}"
            )
        settlements = books.entry_by_key.get(settlement_key(v.code), [])
        if v.status == "used":
            figures.vouchers_used += 1
        if len(settlements) != (1 if v.status == "used" else 0):
            anomalies.append(
                f"voucher {v.id} ({v.status}) has {len(settlements)} settlement entries"
            )
        if v.status in LIVE:
            if v.takes_stock:
                live[v.reward_id] += 1
            if v.quota_period is not None:
                by_quota[(v.reward_id, v.quota_period)] += 1
            if v.limit_period is not None:
                by_limit[(v.reward_id, v.volunteer_id, v.limit_period)] += 1
    for r in books.rewards:
        figures.rewards_checked += 1
        if r.stock_total is not None and r.stock_used > r.stock_total:
            anomalies.append(f"reward {r.code} sold {r.stock_used} of a stock of {r.stock_total}")
        if r.stock_used != live[r.id]:
            anomalies.append(
                f"reward {r.code}: stock_used {r.stock_used} but {live[r.id]} live vouchers"
            )
    rewards_by_id = {r.id: r for r in books.rewards}
    for q in books.quotas:
        reward = rewards_by_id[q.reward_id]
        if q.used != by_quota[(q.reward_id, q.period)]:
            anomalies.append(
                f"reward {reward.code} quota {q.period}: used {q.used} but "
                f"{by_quota[(q.reward_id, q.period)]} live vouchers"
            )
        if reward.monthly_quota is not None and q.used > reward.monthly_quota:
            anomalies.append(f"reward {reward.code} quota {q.period} passed: {q.used}")
    counted = {(c.reward_id, c.volunteer_id, c.period): c.used for c in books.counters}
    for key in set(counted) | set(by_limit):
        reward = rewards_by_id[key[0]]
        if counted.get(key, 0) != by_limit[key]:
            anomalies.append(
                f"reward {reward.code} volunteer {key[1]} {key[2]}: counter "
                f"{counted.get(key, 0)} but {by_limit[key]} live vouchers"
            )
        if reward.per_volunteer_limit is not None and by_limit[key] > reward.per_volunteer_limit:
            anomalies.append(
                f"reward {reward.code} volunteer {key[1]} {key[2]}: {by_limit[key]} vouchers "
                f"past the limit of {reward.per_volunteer_limit}"
            )
    held: Counter[int] = Counter()
    for h in books.holds.values():
        if h.status == "held":
            held[h.account_id] += h.amount
    for a in books.accounts:
        if a.held != held[a.id]:
            anomalies.append(f"account {a.id} keeps held {a.held}, open holds sum {held[a.id]}")


def _overlap_free_pairs(reads: list[Op]) -> list[tuple[Op, Op]]:
    """Pairs (a, b) where a was answered before b was sent: b must not see less than a."""
    ordered = sorted(reads, key=lambda o: o.started)
    pairs = []
    for i, b in enumerate(ordered):
        for a in ordered[:i]:
            if a.ended < b.started:
                pairs.append((a, b))
    return pairs


def check_reads(ops: list[Op], books: Books, anomalies: list[str], figures: CheckFigures) -> None:
    issuance = [a for a in books.accounts if a.kind == "issuance"]
    figures.issued_final = -sum(a.posted for a in issuance)
    figures.entries_final = sum(len(ids) for ids in books.entry_by_key.values())
    by_passbook: dict[str, list[Op]] = defaultdict(list)
    for op in ops:
        if op.outcome != "ok" or not isinstance(op.answer, dict):
            continue
        body = op.answer
        if op.kind == "balance":
            figures.balance_reads += 1
            assert op.passbook is not None
            by_passbook[op.passbook].append(op)
            account = books.account_of_passbook[op.passbook]
            posted, held, lines = body["posted"], body["held"], body["lines"]
            at = books.postings[account].get(lines)
            seen = 0 if lines == 0 else (at.balance_after if at is not None else None)
            if seen != posted:
                anomalies.append(
                    f"balance read of {op.passbook}: posted {posted} after {lines} lines, the "
                    f"books say {seen}: {op.line()}"
                )
            if held < 0 or body["available"] != posted - held or body["available"] < 0:
                anomalies.append(f"balance read of {op.passbook} below zero or unbalanced: {body}")
        elif op.kind == "statement":
            figures.statement_reads += 1
            assert op.passbook is not None
            account = books.account_of_passbook[op.passbook]
            previous: Any = None
            for line in body["lines"]:
                figures.statement_lines += 1
                at = books.postings[account].get(line["line"])
                if at is None or (at.amount, at.balance_after, at.entry_id) != (
                    line["points"],
                    line["balance"],
                    line["entry_id"],
                ):
                    anomalies.append(
                        f"statement line {line} of {op.passbook} is not in the books "
                        f"({at}): {op.line()}"
                    )
                if (
                    previous is not None
                    and previous["line"] + 1 == line["line"]
                    and previous["balance"] + line["points"] != line["balance"]
                ):
                    anomalies.append(f"statement of {op.passbook} does not add up at {line}")
                previous = line
        elif op.kind == "trial":
            figures.trial_reads += 1
            rows = {r["kind"]: r for r in body["rows"]}
            issued = -rows.get("issuance", {"posted": 0})["posted"]
            passbooks = rows.get("passbook", {"posted": 0, "held": 0})
            merchants = rows.get("merchant", {"posted": 0, "held": 0})
            problems = []
            if body["total"] != 0 or body["balanced"] is not True:
                problems.append(f"total {body['total']}")
            if passbooks["posted"] > issued:
                problems.append(f"passbooks hold {passbooks['posted']} of {issued} issued")
            if passbooks["held"] > passbooks["posted"] or passbooks["held"] < 0:
                problems.append(f"held {passbooks['held']} of {passbooks['posted']}")
            if merchants["posted"] < 0 or issued > figures.issued_final:
                problems.append(f"merchants {merchants['posted']}, issued {issued}")
            if body["entries"] > figures.entries_final:
                problems.append(f"{body['entries']} entries, the books end with fewer")
            if problems:
                anomalies.append(f"trial balance read inconsistent ({'; '.join(problems)}): {body}")
    trials = [op for op in ops if op.kind == "trial" and op.outcome == "ok"]
    for a, b in _overlap_free_pairs(trials):
        ea, eb = a.answer["entries"], b.answer["entries"]
        ia = -sum(r["posted"] for r in a.answer["rows"] if r["kind"] == "issuance")
        ib = -sum(r["posted"] for r in b.answer["rows"] if r["kind"] == "issuance")
        if eb < ea or ib < ia:
            anomalies.append(
                f"trial balance went back in time: #{a.no} saw {ea} entries/{ia} issued, the "
                f"later #{b.no} saw {eb}/{ib}"
            )
    for number, reads in by_passbook.items():
        for a, b in _overlap_free_pairs(reads):
            if b.answer["lines"] < a.answer["lines"]:
                anomalies.append(
                    f"passbook {number} went back in time: #{a.no} saw {a.answer['lines']} "
                    f"lines, the later #{b.no} saw {b.answer['lines']}"
                )


def tally(ops: list[Op]) -> dict[str, Counter[str]]:
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for op in ops:
        per_kind[op.kind][op.outcome] += 1
    return per_kind


# --- can the checks fail? ----------------------------------------------------------------------


def self_check(ops: list[Op], books: Books) -> tuple[int, int]:
    """Plant one lie at a time in a copy of the log or of the books and count how many of the
    lies the checks catch: a harness that can no longer see a lost or doubled write, or a read
    from a state that never was, is worse than none. Returns (planted, caught)."""

    def first(kind: str, outcome: str) -> Op | None:
        return next((op for op in ops if op.kind == kind and op.final() == outcome), None)

    def caught(doctored_ops: list[Op], doctored_books: Books) -> bool:
        found: list[str] = []
        figures = CheckFigures()
        check_writes(doctored_ops, doctored_books, found, figures)
        check_invariants(doctored_books, found, figures)
        check_reads(doctored_ops, doctored_books, found, figures)
        return bool(found)

    def swap(op: Op, **changes: Any) -> list[Op]:
        return [dataclasses.replace(o, **changes) if o is op else o for o in ops]

    lies: list[tuple[list[Op], Books]] = []
    if (op := first("redeem", "failed")) is not None:  # a refused redemption said to be ok
        lies.append((swap(op, outcome="ok", retry_outcome=None, answer={"id": -1}), books))
    if (op := first("redeem", "ok")) is not None:  # a redemption in the books said refused
        lies.append((swap(op, outcome="failed", retry_outcome=None), books))
    if (op := first("approve", "ok")) is not None:  # an approval posted twice
        assert op.sheet_id is not None
        doubled = dict(books.entry_by_key)
        doubled[approval_key(op.sheet_id)] = [*doubled[approval_key(op.sheet_id)], -1]
        lies.append((ops, dataclasses.replace(books, entry_by_key=doubled)))
    if (op := first("balance", "ok")) is not None:  # a balance no moment of the books had
        body = {**op.answer, "posted": op.answer["posted"] + 1}
        lies.append((swap(op, answer=body), books))
    if (op := first("trial", "ok")) is not None:  # points out of nowhere in a trial balance
        rows = [
            {**r, "posted": r["posted"] + 1_000_000} if r["kind"] == "passbook" else r
            for r in op.answer["rows"]
        ]
        lies.append((swap(op, answer={**op.answer, "rows": rows}), books))
    used = next((v for v in books.vouchers.values() if v.status == "used"), None)
    if used is not None:  # a voucher settled twice
        doubled = dict(books.entry_by_key)
        doubled[settlement_key(used.code)] = [*doubled[settlement_key(used.code)], -1]
        lies.append((ops, dataclasses.replace(books, entry_by_key=doubled)))
    return len(lies), sum(caught(o, b) for o, b in lies)
