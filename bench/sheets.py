"""The council scoring benchmark: how long a big sheet takes to draft and approve, and how
many small sheets a grid office can push through, on a scratch database (never the one
configured).

It prints medians (this machine is shared and noisy): seconds to draft and to approve a
500-line sheet, and approved 5-line sheets per second at 1 and 4 concurrent council pairs
(each sheet drafted, submitted and approved: three transactions). Then it checks that the
scratch books verify.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from itertools import count

from sqlalchemy.ext.asyncio import AsyncEngine

import community
import council
import db
import ledger
import scheme_time
from bench._scratch import SHEETS_DATABASE, scratch_database

Out = Callable[[str], None]
BIG_LINES = 500
SMALL_LINES = 5
MAX_AGE_DAYS = 366
PAIRS = (1, 4)


async def _setup(engine: AsyncEngine, volunteers: int) -> tuple[int, int, list[str]]:
    numbers = [f"BENCH-{n:05d}" for n in range(volunteers)]

    async def use_case(conn: db.Connection) -> tuple[int, int, list[str]]:
        await community.add_org_unit(conn, code="bench", name="基准街道", kind="street")
        await community.add_org_unit(
            conn, code="bench-c", name="基准社区", kind="community", parent_code="bench"
        )
        await community.add_org_unit(
            conn, code="bench-g", name="基准网格", kind="grid", parent_code="bench-c"
        )
        a = await community.add_council_member(conn, code="bench-a", name="甲", grid_code="bench-g")
        b = await community.add_council_member(conn, code="bench-b", name="乙", grid_code="bench-g")
        await council.add_rule(
            conn,
            code="bench-rule",
            name="基准服务 bench service",
            category="bench",
            points_per_unit=1,
            unit="hour",
            daily_cap_units=24,
            valid_from=date(2000, 1, 1),
            valid_to=None,
            org_code="bench",
            actor="bench",
        )
        for number in numbers:
            await community.register_volunteer(
                conn, passbook_number=number, name="志愿者", grid_code="bench-g"
            )
        return a.id, b.id, numbers

    return await db.run_in_transaction(engine, use_case)


async def _sheet(
    engine: AsyncEngine, author: int, approver: int, numbers: list[str], day: date
) -> tuple[float, float]:
    """Draft (and submit) then approve one sheet; seconds for each of the two steps."""
    lines = [council.LineIn(n, 1) for n in numbers]

    async def drafting(conn: db.Connection) -> int:
        sheet = await council.draft_sheet(
            conn,
            member_id=author,
            rule_code="bench-rule",
            activity_date=day,
            place="",
            note="",
            lines=lines,
            actor="bench",
            max_age_days=MAX_AGE_DAYS,
        )
        await council.submit_sheet(conn, sheet_id=sheet.id, member_id=author)
        return sheet.id

    began = time.perf_counter()
    sheet_id = await db.run_in_transaction(engine, drafting)
    drafted = time.perf_counter()

    async def approving(conn: db.Connection) -> None:
        await council.approve_sheet(conn, sheet_id=sheet_id, member_id=approver, actor="bench")

    await db.run_in_transaction(engine, approving)
    return drafted - began, time.perf_counter() - drafted


async def _small_sheets(
    engine: AsyncEngine,
    author: int,
    approver: int,
    numbers: list[str],
    pairs: int,
    seconds: float,
    slots: Iterator[int],
) -> float:
    """5-line sheets approved per second by ``pairs`` concurrent council pairs. Every sheet
    takes a fresh day for its 5 volunteers, so no daily cap bites."""
    today = scheme_time.scheme_today()
    per_day = len(numbers) // SMALL_LINES
    done = 0
    deadline = time.perf_counter() + seconds

    async def pair() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            slot = next(slots)
            day = today - timedelta(days=slot // per_day)
            start = (slot % per_day) * SMALL_LINES
            await _sheet(engine, author, approver, numbers[start : start + SMALL_LINES], day)
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*(pair() for _ in range(pairs)))
    return done / (time.perf_counter() - began)


async def run_sheets_bench(
    database_url: str, *, big_sheets: int = 7, seconds: float = 10.0, out: Out = print
) -> dict[str, float]:
    figures: dict[str, float] = {}
    async with scratch_database(database_url, out, SHEETS_DATABASE) as url:
        engine = db.create_engine(url, pool_size=max(PAIRS) + 2)
        try:
            out(f"· registering {BIG_LINES} volunteers")
            author, approver, numbers = await _setup(engine, BIG_LINES)
            today = scheme_time.scheme_today()
            days = (today - timedelta(days=n) for n in count())
            out(f"· {big_sheets} sheets of {BIG_LINES} lines")
            timings = [
                await _sheet(engine, author, approver, numbers, next(days))
                for _ in range(big_sheets)
            ]
            figures["big_draft_s"] = statistics.median(t[0] for t in timings)
            figures["big_approve_s"] = statistics.median(t[1] for t in timings)
            slots = count()
            for pairs in PAIRS:
                out(f"· 5-line sheets for {seconds:g} s with {pairs} council pair(s)")
                rate = await _small_sheets(engine, author, approver, numbers, pairs, seconds, slots)
                figures[f"small_sheets_per_s_{pairs}"] = rate
            async with db.read_transaction(engine) as conn:
                report = await ledger.verify_books(conn)
            if not report.ok:
                raise RuntimeError(f"the scratch books do not verify: {report.problems[:3]}")
            figures["entries"] = report.entries
        finally:
            await engine.dispose()
    out("")
    out(f"council scoring benchmark ({db.dialect_of(database_url).value}; medians)")
    out(f"  draft + submit a {BIG_LINES}-line sheet   {figures['big_draft_s'] * 1000:8.0f} ms")
    out(f"  approve (post) a {BIG_LINES}-line sheet   {figures['big_approve_s'] * 1000:8.0f} ms")
    for pairs in PAIRS:
        rate = figures[f"small_sheets_per_s_{pairs}"]
        out(f"  {SMALL_LINES}-line sheets approved/s, {pairs} pair(s) {rate:8.1f}")
    out(f"  books verified: {int(figures['entries'])} entries")
    return figures
