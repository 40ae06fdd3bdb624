"""The street the HTTP benchmark drives: loaded through the engine's own use cases.

What it makes: one street of ``grids`` grids with ``volunteers`` volunteers spread over them,
each with a passbook, a volunteer token and points (one sheet per grid, drafted by one council
member and approved by the other, so the points are posted as a real approval posts them);
merchants with several tokens each (a scanner per counter); rewards of 1 point with ample
stock; and ``sheets`` one-line sheets drafted and submitted, waiting for the grid's other
council member to approve them over HTTP. The rule it keeps: nothing is written around the
engine (no bulk SQL), so the books verify afterwards like any real books; the raw tokens are
kept only in the returned :class:`Street`, for the load driver.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

import access
import community
import council
import db
import rewards
import scheme_time

__all__ = ["Street", "load_street", "note_tokens_used"]

STREET = "hs"
RULE = "hs-rule"
MERCHANTS = 8
TOKENS_PER_MERCHANT = 8  # the scan throttle counts scans in flight per token
REWARDS = 16
MAX_AGE_DAYS = 366
OPENING_UNITS = 20  # x 10 points a unit: 200 points for every volunteer
_CHUNK = 250


@dataclass
class Street:
    """What the load driver needs: who to ask for what, with their raw tokens."""

    volunteers: list[tuple[str, str]] = field(default_factory=list)  # (number, token)
    rewards: list[tuple[str, int]] = field(default_factory=list)  # (code, merchant index)
    merchants: list[list[str]] = field(default_factory=list)  # tokens of each merchant
    sheets: list[tuple[int, str]] = field(default_factory=list)  # (sheet id, approver token)
    token_ids: list[int] = field(default_factory=list)

    def plan(self) -> dict[str, Any]:
        return {
            "volunteers": self.volunteers,
            "rewards": self.rewards,
            "merchants": self.merchants,
            "sheets": self.sheets,
        }


def _grid(g: int) -> str:
    return f"{STREET}-g{g}"


async def _street(conn: db.Connection, grids: int, street: Street) -> dict[int, tuple[int, int]]:
    """The org tree, the rule, council pairs, merchants and rewards; each grid's (author id,
    approver id)."""
    await community.add_org_unit(conn, code=STREET, name="基准街道", kind="street")
    await community.add_org_unit(
        conn, code=f"{STREET}-c", name="基准社区", kind="community", parent_code=STREET
    )
    await council.add_rule(
        conn,
        code=RULE,
        name="基准服务 bench service",
        category="bench",
        points_per_unit=10,
        unit="hour",
        daily_cap_units=24,
        valid_from=date(2000, 1, 1),
        valid_to=None,
        org_code=STREET,
        actor="bench",
    )
    pairs: dict[int, tuple[int, int]] = {}
    for g in range(grids):
        code = _grid(g)
        await community.add_org_unit(
            conn, code=code, name=f"基准网格{g}", kind="grid", parent_code=f"{STREET}-c"
        )
        a = await community.add_council_member(conn, code=f"{code}-a", name="甲", grid_code=code)
        b = await community.add_council_member(conn, code=f"{code}-b", name="乙", grid_code=code)
        pairs[g] = (a.id, b.id)
    for m in range(MERCHANTS):
        code = f"{STREET}-m{m}"
        await rewards.add_merchant(conn, code=code, name=f"基准商户{m}", actor="bench")
        street.merchants.append(
            [
                (
                    await access.create_token(
                        conn, role=access.Role.MERCHANT, scope=code, label=code
                    )
                )[0]
                for _ in range(TOKENS_PER_MERCHANT)
            ]
        )
    for r in range(REWARDS):
        code = f"{STREET}-r{r:02d}"
        spec = rewards.RewardSpec(
            code=code,
            name="抽纸",
            kind=rewards.RewardKind.GOODS,
            cost_points=1,
            merchant_code=f"{STREET}-m{r % MERCHANTS}",
            org_unit_code=STREET,
            stock_total=1_000_000,
        )
        await rewards.add_reward(conn, spec, actor="bench")
        street.rewards.append((code, r % MERCHANTS))
    return pairs


async def _volunteers(
    conn: db.Connection, grid: int, numbers: list[str]
) -> list[tuple[str, str, int]]:
    made = []
    for number in numbers:
        await community.register_volunteer(
            conn, passbook_number=number, name="志愿者", grid_code=_grid(grid)
        )
        raw, principal = await access.create_token(
            conn, role=access.Role.VOLUNTEER, scope=number, label=f"bench {number}"
        )
        made.append((number, raw, principal.token_id))
    return made


async def _sheet(conn: db.Connection, author: int, lines: list[council.LineIn], day: date) -> int:
    sheet = await council.draft_sheet(
        conn,
        member_id=author,
        rule_code=RULE,
        activity_date=day,
        place="",
        note="",
        lines=lines,
        actor="bench",
        max_age_days=MAX_AGE_DAYS,
    )
    await council.submit_sheet(conn, sheet_id=sheet.id, member_id=author)
    return sheet.id


async def _grid_load(
    engine: AsyncEngine, grid: int, pair: tuple[int, int], numbers: list[str], sheets: int
) -> tuple[list[tuple[str, str, int]], list[int]]:
    """One grid: its volunteers with tokens, their opening points, its sheets to approve."""
    author, approver = pair
    made: list[tuple[str, str, int]] = []
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]

        async def register(
            conn: db.Connection, chunk: list[str] = chunk
        ) -> list[tuple[str, str, int]]:
            return await _volunteers(conn, grid, chunk)

        made += await db.run_in_transaction(engine, register)
    today = scheme_time.scheme_today()

    async def opening(conn: db.Connection) -> None:
        lines = [council.LineIn(n, OPENING_UNITS) for n in numbers]
        sheet_id = await _sheet(conn, author, lines, today - timedelta(days=1))
        await council.approve_sheet(conn, sheet_id=sheet_id, member_id=approver, actor="bench")

    await db.run_in_transaction(engine, opening)

    async def waiting(conn: db.Connection) -> list[int]:
        # one line each, a volunteer at most 24 times a day (the daily cap, 1 unit a line)
        return [
            await _sheet(conn, author, [council.LineIn(numbers[s % len(numbers)], 1)], today)
            for s in range(sheets)
        ]

    return made, await db.run_in_transaction(engine, waiting)


async def load_street(engine: AsyncEngine, *, grids: int, volunteers: int, sheets: int) -> Street:
    """Load the street; grids in parallel on PostgreSQL, one after another on SQLite."""
    street = Street()
    pairs = await db.run_in_transaction(engine, lambda c: _street(c, grids, street))
    per_grid = [[f"HS{g}-{n:05d}" for n in range(g, volunteers, grids)] for g in range(grids)]
    sheets_per_grid = [sheets // grids + (1 if g < sheets % grids else 0) for g in range(grids)]
    if sheets_per_grid and max(sheets_per_grid) > 24 * min(len(n) for n in per_grid):
        raise ValueError("more sheets than the daily cap lets the volunteers have today")

    async def approvers(conn: db.Connection) -> list[str]:
        made = []
        for g in range(grids):
            raw, principal = await access.create_token(
                conn, role=access.Role.COUNCIL, scope=f"{_grid(g)}-b", label="bench approver"
            )
            made.append(raw)
            street.token_ids.append(principal.token_id)
        return made

    approver_tokens = await db.run_in_transaction(engine, approvers)
    jobs = [_grid_load(engine, g, pairs[g], per_grid[g], sheets_per_grid[g]) for g in range(grids)]
    if db.dialect_of(engine) is db.Dialect.SQLITE:
        loaded = [await job for job in jobs]
    else:
        loaded = await asyncio.gather(*jobs)
    for g, (made, sheet_ids) in enumerate(loaded):
        street.volunteers += [(number, raw) for number, raw, _id in made]
        street.token_ids += [token_id for _number, _raw, token_id in made]
        street.sheets += [(s, approver_tokens[g]) for s in sheet_ids]
    return street


async def note_tokens_used(engine: AsyncEngine, street: Street) -> None:
    """Note every token of the street as used now, as a day of real use would have: a token's
    first request would otherwise also write its first use, and a timed run of fresh tokens
    would time those writes instead of the requests."""
    now = scheme_time.utcnow()

    async def note(conn: db.Connection) -> None:
        for token_id in street.token_ids:
            await access.note_use(conn, token_id, now)

    await db.run_in_transaction(engine, note)
