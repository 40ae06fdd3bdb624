"""Yanshan street's Red Passbook, as a newcomer first sees it.

Yanzishan community with its seven grids, a few volunteers whose paper passbooks were carried
over as opening balances, one mistaken entry corrected by a reversal, and demo tokens with
well-known values so the API can be tried at once. Everything goes through the services, each
step keyed, so loading twice changes nothing.

The demo stays a demo: it writes the books row as ``demo`` and refuses (:class:`DemoRefused`,
nothing written) books that hold anything else: real books (``passbook init``), or books
without a books row whose org units are not the demo's. Real books refuse the demo's tokens
too (:func:`access.find_principal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
from access import Role, api_token, create_token, hash_token
from scheme_time import utcnow
from seeds.council import load_rules
from seeds.lived_in import YAOTOU, YAOTOU_GRIDS, load_lived_in
from seeds.rewards import load_rewards_demo

STREET = ("yanshan", "燕山街道")
COMMUNITY = ("yanzishan", "燕子山小区社区")
GRIDS = [(f"yzs-g{n}", f"燕子山第{'一二三四五六七'[n - 1]}网格") for n in range(1, 8)]
DEMO_ORG_UNITS: dict[str, str] = {
    STREET[0]: "street",
    COMMUNITY[0]: "community",
    YAOTOU[0]: "community",
    **{code: "grid" for code, _ in GRIDS + YAOTOU_GRIDS},
}
"""Every org unit of the demo (code: kind): books holding any other are not the demo's."""


@dataclass(frozen=True)
class DemoVolunteer:
    number: str
    name: str
    grid: str
    opening: int
    opened_on: date


VOLUNTEERS = [
    DemoVolunteer("YZS1-0001", "王秀兰", "yzs-g1", 120, date(2026, 9, 1)),
    DemoVolunteer("YZS1-0002", "李建国", "yzs-g1", 85, date(2026, 9, 1)),
    DemoVolunteer("YZS2-0001", "张桂英", "yzs-g2", 200, date(2026, 9, 2)),
    DemoVolunteer("YZS3-0001", "刘德明", "yzs-g3", 40, date(2026, 9, 2)),
    DemoVolunteer("YZS4-0001", "陈淑珍", "yzs-g4", 150, date(2026, 9, 3)),
    DemoVolunteer("YZS5-0001", "杨志强", "yzs-g5", 60, date(2026, 9, 3)),
    DemoVolunteer("YZS6-0001", "赵玉梅", "yzs-g6", 95, date(2026, 9, 4)),
    DemoVolunteer("YZS7-0001", "孙立新", "yzs-g7", 30, date(2026, 9, 4)),
]

_COUNCIL_NAMES = [
    ("周红梅", "吴建华"),
    ("郑丽娟", "冯国强"),
    ("褚秀英", "卫明"),
    ("蒋桂芳", "沈志刚"),
    ("韩晓燕", "朱海涛"),
    ("秦淑华", "许文斌"),
    ("何丽萍", "吕建军"),
]
# Two council members per grid (codes yzs-gN-a and yzs-gN-b), so a sheet drafted by one can be
# approved by the other.
COUNCIL_MEMBERS = [
    (grid, f"{grid}-{letter}", name)
    for (grid, _), names in zip(GRIDS, _COUNCIL_NAMES, strict=True)
    for letter, name in zip("ab", names, strict=True)
]

# Well-known tokens for trying the API on demo data only; never load the demo into real books.
DEMO_TOKENS: list[tuple[str, Role, str, str]] = [
    ("pb_demo_admin", Role.ADMIN, "yanshan", "燕山街道演示管理员"),
    ("pb_demo_auditor", Role.AUDITOR, "yanshan", "燕山街道演示审计员"),
    ("pb_demo_council_g1", Role.COUNCIL, "yzs-g1-a", "第一网格演示议事会成员"),
    ("pb_demo_council_g1b", Role.COUNCIL, "yzs-g1-b", "第一网格演示议事会第二成员"),
    ("pb_demo_volunteer", Role.VOLUNTEER, "YZS1-0001", "演示志愿者王秀兰"),
]

ACTOR = "demo-loader"


class DemoRefused(Exception):
    """The books hold something other than the demo: it is not loaded, nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def demo_refusal(conn: AsyncConnection) -> str | None:
    """Why the demo may not be loaded into these books, or None if it may: into real books
    never, into books without a books row only if every org unit they hold is the demo's."""
    kind = await community.books_kind(conn)
    if kind == "real":
        return (
            "These are real books, opened with 'passbook init': the demo is never loaded into "
            "them. Try the demo on a database of its own, e.g. 'passbook demo --database-url "
            "sqlite+aiosqlite:///demo.db'."
        )
    if kind == "demo":
        return None
    others = [
        unit.code
        for unit in await community.list_org_units(conn, None)
        if DEMO_ORG_UNITS.get(unit.code) != unit.kind
    ]
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        return (
            f"These books hold org units that are not the demo's ({shown}): the demo is "
            "loaded only into empty books or into the demo itself, and was not loaded."
        )
    return None


async def _load(conn: AsyncConnection) -> None:
    if refusal := await demo_refusal(conn):
        raise DemoRefused(refusal)
    street = await community.add_org_unit(conn, code=STREET[0], name=STREET[1], kind="street")
    if await community.books_kind(conn) is None:
        await community.record_books(
            conn, kind="demo", street_id=street.id, opened_by=ACTOR, now=utcnow()
        )
    await community.add_org_unit(
        conn, code=COMMUNITY[0], name=COMMUNITY[1], kind="community", parent_code=STREET[0]
    )
    grids = {}
    for code, name in GRIDS:
        grids[code] = await community.add_org_unit(
            conn, code=code, name=name, kind="grid", parent_code=COMMUNITY[0]
        )
    for grid_code, member_code, name in COUNCIL_MEMBERS:
        await community.add_council_member(conn, code=member_code, name=name, grid_code=grid_code)
    for person in VOLUNTEERS:
        passbook = await community.register_volunteer(
            conn, passbook_number=person.number, name=person.name, grid_code=person.grid
        )
        issuance = grids[person.grid].issuance_account_id
        assert issuance is not None
        await ledger.post_entry(
            conn,
            idempotency_key=f"demo:opening:{person.number}",
            kind="opening",
            legs=[
                ledger.Leg(issuance, -person.opening),
                ledger.Leg(passbook.account_id, person.opening),
            ],
            actor=ACTOR,
            memo=community.grant_memo(community.GrantKind.OPENING, person.opened_on, ""),
            effective_date=person.opened_on,
        )
    await _mistake_and_correction(conn, grids["yzs-g3"].issuance_account_id)
    await load_rules(conn)
    await load_lived_in(conn)
    for raw, role, scope, label in DEMO_TOKENS:
        known = await conn.scalar(
            select(api_token.c.id).where(api_token.c.token_hash == hash_token(raw))
        )
        if known is None:
            await create_token(conn, role=role, scope=scope, label=label, raw=raw)
    await load_rewards_demo(conn)


async def _mistake_and_correction(conn: AsyncConnection, issuance: int | None) -> None:
    """A corridor clean-up credited twice by mistake, then reversed: the passbook shows both."""
    assert issuance is not None
    passbook = await community.find_passbook(conn, "YZS3-0001")
    assert passbook is not None
    legs = [ledger.Leg(ledger.AccountId(issuance), -10), ledger.Leg(passbook.account_id, 10)]
    await ledger.post_entry(
        conn,
        idempotency_key="demo:cleanup:2026-10-12:a",
        kind="adjustment",
        legs=legs,
        actor=ACTOR,
        memo="楼道清理 · 2026-10-12",
        effective_date=date(2026, 10, 12),
    )
    duplicate = await ledger.post_entry(
        conn,
        idempotency_key="demo:cleanup:2026-10-12:b",
        kind="adjustment",
        legs=legs,
        actor=ACTOR,
        memo="楼道清理 · 2026-10-12（重复录入）",
        effective_date=date(2026, 10, 12),
    )
    await ledger.reverse_entry(
        conn,
        entry_id=duplicate.id,
        idempotency_key="demo:cleanup:2026-10-12:b:reversal",
        actor=ACTOR,
        memo="重复录入，冲正",
        effective_date=date(2026, 10, 13),
    )


async def load_demo(engine: AsyncEngine) -> None:
    """Load (or re-load, changing nothing) the demo data in one transaction; refuses
    (:class:`DemoRefused`) books that are not the demo's (see :func:`demo_refusal`), and
    books holding an earlier demo whose entries differ from this one's (nothing written)."""
    try:
        await db.run_in_transaction(engine, _load)
    except ledger.errors.IdempotencyConflict as conflict:
        raise DemoRefused(
            "These books hold an earlier version of the demo, whose entries differ from this "
            "version's: nothing was loaded. Try this version on a database of its own, e.g. "
            "'passbook demo --database-url sqlite+aiosqlite:///demo.db', or delete the demo's "
            "database file and start again."
        ) from conflict


DEMO_PIN = ("YZS1-0001", "2580")
"""The demo volunteer whose PIN the served demo sets, so the pages can be tried at once."""


async def give_demo_pin(engine: AsyncEngine) -> bool:
    """Set :data:`DEMO_PIN` on the demo's books, unless that volunteer has a PIN already
    (a second start changes nothing); whether it set it. The demo data set itself leaves
    every PIN unset, as real books start."""
    number, pin = DEMO_PIN

    async def use_case(conn: AsyncConnection) -> bool:
        found = await community.get_volunteer(conn, number)
        if found.pin_set:
            return False
        await community.set_pin(conn, number, pin)
        return True

    return await db.run_in_transaction(engine, use_case)
