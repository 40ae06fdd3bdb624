"""A lived-in book: a second community, about sixty volunteers and four months of scoring.

Adds Yaotou community (窑头社区) with three grids and their councils to Yanshan street, 52 more
volunteers across all ten grids (phones, a few leaderboard opt-outs), and the scoring sheets of
August to November 2026: drafted by each grid's ``-a`` council member and approved by its
``-b`` one, plus two sheets still awaiting approval, one rejected and one approved sheet with a
line corrected, so every state shows. The love incentives pay their bonuses on their own.

The eight volunteers of ``seeds.demo`` are never scored here (tests read their passbooks).
Everything is generated from a fixed seed, so the plan is the same on every load; a sheet is
recognised by the ``demo:<date>:<grid>:<rule>`` key at the end of its note and skipped if it
exists, people by their passbook number or member code, so loading twice changes nothing.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import community
import council

STREET = "yanshan"
ACTOR = "demo-loader"
MAX_AGE_DAYS = 60
SEED = 20260801

YANZISHAN = "yanzishan"
YAOTOU = ("yaotou", "窑头社区")
YAOTOU_GRIDS = [(f"yt-g{n}", f"窑头第{'一二三'[n - 1]}网格") for n in range(1, 4)]
YAOTOU_COUNCIL = [("常红霞", "易建军"), ("郝丽娜", "康永刚"), ("齐秀荣", "严立军")]

# grid, passbook prefix, first new number, names
_NEW_PEOPLE: list[tuple[str, str, int, list[str]]] = [
    ("yzs-g1", "YZS1", 3, ["马桂兰", "高建平", "林秀珍", "郭永福"]),
    ("yzs-g2", "YZS2", 2, ["罗玉珍", "梁志远", "宋春花", "唐国庆", "曹丽华"]),
    ("yzs-g3", "YZS3", 2, ["邓秀云", "谢长海", "董凤英", "袁保国", "潘美玲"]),
    ("yzs-g4", "YZS4", 2, ["田桂香", "姜洪涛", "范玉兰", "彭德胜", "鲁淑英"]),
    ("yzs-g5", "YZS5", 2, ["崔文秀", "程建民", "邵翠萍", "孟庆林", "贾素芬"]),
    ("yzs-g6", "YZS6", 2, ["夏春梅", "钟立平", "汪秀芝", "任振华", "方巧云"]),
    ("yzs-g7", "YZS7", 2, ["石玉芳", "姚树林", "谭金凤", "廖国华", "邹慧敏"]),
    ("yt-g1", "YT1", 1, ["熊桂珍", "金宝山", "陆雅琴", "白长顺", "毛淑兰", "丁晓东"]),
    ("yt-g2", "YT2", 1, ["江美华", "史振东", "顾秀梅", "侯家明", "薛玉琴", "雷子健"]),
    ("yt-g3", "YT3", 1, ["黎凤兰", "龙德全", "段晓红", "武思源", "贺爱华", "尹福生"]),
]
NO_PHONE = {"YZS3-0005", "YZS5-0006", "YT1-0004"}  # elderly volunteers who gave no phone
LEADERBOARD_OPT_OUT = {"YZS4-0003", "YZS6-0005", "YT2-0004", "YT3-0002"}
REGISTERED_AT = datetime(2026, 7, 20, 1, 0, tzinfo=UTC)  # 09:00 in Jinan


@dataclass(frozen=True)
class DemoPerson:
    number: str
    name: str
    grid: str
    phone: str | None
    opt_out: bool

    @property
    def community(self) -> str:
        return YAOTOU[0] if self.grid.startswith("yt-") else YANZISHAN


def _people() -> list[DemoPerson]:
    rng = random.Random(SEED)
    prefixes = ["133", "135", "137", "138", "139", "150", "152", "158", "159", "176", "186", "188"]
    phones: set[str] = set()
    people = []
    for grid, prefix, first, names in _NEW_PEOPLE:
        for n, name in enumerate(names, start=first):
            number = f"{prefix}-{n:04d}"
            while True:
                digits = rng.choice(prefixes) + f"{rng.randrange(10**8):08d}"
                if digits not in phones:
                    phones.add(digits)
                    break
            phone = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
            people.append(
                DemoPerson(
                    number,
                    name,
                    grid,
                    None if number in NO_PHONE else phone,
                    number in LEADERBOARD_OPT_OUT,
                )
            )
    return people


PEOPLE = _people()

# rule code: (units low, high), places, what the sheet's note says
_ACTIVITIES: dict[str, tuple[tuple[int, int], list[str], list[str]]] = {
    "home-visit": (
        (1, 4),
        ["3号楼2单元", "5号楼", "8号楼1单元", "12号楼独居老人家", "15号楼"],
        [
            "随圆圆物业管家入户走访，登记报修需求",
            "随物业管家走访新入住住户",
            "入户征求物业服务意见",
        ],
    ),
    "help-in-difficulty": (
        (2, 4),
        ["7号楼", "社区卫生服务站", "2号楼3单元", "11号楼"],
        ["陪同困难老人就医取药", "为行动不便的老人代购生活用品", "帮助困难家庭整理房间"],
    ),
    "corridor-cleanup": (
        (1, 3),
        ["3号楼1-3单元楼道", "6号楼楼道", "9号楼楼道", "全小区楼道"],
        ["清理楼道堆放杂物", "楼道小广告清理", "楼道卫生大扫除"],
    ),
    "garbage-sorting": (
        (2, 4),
        ["小区东门垃圾分类点", "2号楼分类亭", "小区广场分类点", "北门垃圾分类点"],
        ["早晚高峰垃圾分类值守", "垃圾分类宣传与桶边督导", "周末垃圾分类值守"],
    ),
    "dispute-mediation": (
        (1, 2),
        ["小区广场", "社区议事厅", "6号楼", "4号楼2单元"],
        ["调解楼上楼下漏水纠纷", "调解停车位纠纷", "调解噪音扰民纠纷"],
    ),
    "five-ones-visit": (
        (1, 1),
        ["独居老人家中", "空巢老人家中", "网格内重点关爱户"],
        ["\u201c五个一\u201d每周走访，了解老人近况", "\u201c五个一\u201d走访，更新关爱台账"],
    ),
}
_CAPS = {
    "home-visit": 4,
    "help-in-difficulty": 4,
    "corridor-cleanup": 3,
    "garbage-sorting": 4,
    "dispute-mediation": 2,
    "five-ones-visit": 1,
}
_WEIGHTS = {
    "home-visit": 5,
    "help-in-difficulty": 4,
    "corridor-cleanup": 4,
    "garbage-sorting": 5,
    "dispute-mediation": 1,
    "five-ones-visit": 2,
}
_LINE_NOTES = ["", "", "", "", "带队", "提前到场", "负责签到", "拍照留档"]
_KEY = re.compile(r"demo:\d{4}-\d{2}-\d{2}:[a-z0-9-]+:[a-z-]+")

FIRST_MONDAY = date(2026, 8, 3)
WEEKS = 17  # through the week of 2026-11-23
SHEETS_PER_GRID = 5
LAST_APPROVED = date(2026, 11, 22)
LAST_IN_GRID_ONE = date(2026, 10, 31)  # the demo tokens' grid has a quiet November
REJECT_REASON = "签到表与名单人数不符，请核对后重新提交"
CORRECT_REASON = "误记：该志愿者当天请假未到场"


@dataclass(frozen=True)
class SheetPlan:
    grid: str
    rule: str
    on: date
    place: str
    note: str
    lines: tuple[council.LineIn, ...]
    community_wide: bool = False
    fate: str = "approved"  # approved, corrected (line 2), submitted, rejected

    @property
    def key(self) -> str:
        return f"demo:{self.on.isoformat()}:{self.grid}:{self.rule}"


class _Planner:
    def __init__(self) -> None:
        self.rng = random.Random(SEED + 1)
        self.used: dict[tuple[str, date, str], int] = {}
        self.plans: dict[str, SheetPlan] = {}

    def lines(self, rule: str, on: date, pool: list[DemoPerson]) -> tuple[council.LineIn, ...]:
        (low, high), _, _ = _ACTIVITIES[rule]
        out = []
        for person in pool:
            left = _CAPS[rule] - self.used.get((rule, on, person.number), 0)
            units = min(self.rng.randint(low, high), left)
            if units < 1:
                continue
            self.used[(rule, on, person.number)] = _CAPS[rule] - left + units
            out.append(council.LineIn(person.number, units, self.rng.choice(_LINE_NOTES)))
        return tuple(out)

    def add(
        self,
        grid: str,
        rule: str,
        on: date,
        pool: list[DemoPerson],
        *,
        community_wide: bool = False,
        fate: str = "approved",
    ) -> None:
        _, places, notes = _ACTIVITIES[rule]
        place, what = self.rng.choice(places), self.rng.choice(notes)
        key = f"demo:{on.isoformat()}:{grid}:{rule}"
        if key in self.plans:
            return
        lines = self.lines(rule, on, pool)
        if len(lines) < 3:
            return
        self.plans[key] = SheetPlan(
            grid, rule, on, place, f"{what}（{key}）", lines, community_wide, fate
        )


def _plans() -> list[SheetPlan]:
    planner = _Planner()
    rng = planner.rng
    by_grid: dict[str, list[DemoPerson]] = {}
    by_community: dict[str, list[DemoPerson]] = {}
    for person in PEOPLE:
        by_grid.setdefault(person.grid, []).append(person)
        by_community.setdefault(person.community, []).append(person)
    # A weekly "five ones" visit in Yaotou grid 1, eight weeks running: streak bonuses.
    for week in range(8):
        on = date(2026, 9, 1) + timedelta(weeks=week)
        planner.add("yt-g1", "five-ones-visit", on, by_grid["yt-g1"][:4])
    # Yanzishan grid 4's "good neighbours" help a family in difficulty every week from September
    # on: they pass the 200-point milestone.
    for week in range(10):
        on = date(2026, 9, 10) + timedelta(weeks=week)
        planner.add("yzs-g4", "help-in-difficulty", on, by_grid["yzs-g4"][:3])
    rules = list(_WEIGHTS)
    weights = list(_WEIGHTS.values())
    for grid, pool in by_grid.items():
        last = LAST_IN_GRID_ONE if grid == "yzs-g1" else LAST_APPROVED
        weeks = [w for w in range(WEEKS) if FIRST_MONDAY + timedelta(weeks=w, days=6) <= last]
        for week in sorted(rng.sample(weeks, SHEETS_PER_GRID)):
            on = FIRST_MONDAY + timedelta(weeks=week, days=rng.randrange(7))
            rule = rng.choices(rules, weights)[0]
            wide = rule in ("corridor-cleanup", "garbage-sorting") and rng.random() < 0.4
            if wide:
                people = by_community[pool[0].community]
                chosen = rng.sample(people, rng.randint(7, min(12, len(people))))
            else:
                chosen = rng.sample(pool, rng.randint(3, len(pool)))
            planner.add(grid, rule, on, chosen, community_wide=wide)
    # Every state shows: two sheets awaiting approval, one rejected, one corrected line.
    planner.add(
        "yzs-g5", "garbage-sorting", date(2026, 11, 24), by_grid["yzs-g5"], fate="submitted"
    )
    planner.add("yt-g2", "home-visit", date(2026, 11, 25), by_grid["yt-g2"][:4], fate="submitted")
    planner.add(
        "yzs-g3", "corridor-cleanup", date(2026, 10, 16), by_grid["yzs-g3"], fate="rejected"
    )
    plans = sorted(planner.plans.values(), key=lambda p: (p.on, p.grid, p.rule))
    for n, plan in enumerate(plans):
        if plan.grid == "yzs-g2" and plan.fate == "approved" and len(plan.lines) >= 4:
            plans[n] = replace(plan, fate="corrected")
            break
    assert {plan.fate for plan in plans} == {"approved", "corrected", "submitted", "rejected"}
    return plans


PLANS = _plans()


def _at(day: date, hour_cst: int) -> datetime:
    """A moment on ``day`` at ``hour_cst`` o'clock in Jinan, as an aware UTC datetime."""
    return datetime.combine(day, time(hour_cst - 8), tzinfo=UTC)


async def _register(conn: AsyncConnection) -> dict[str, int]:
    await community.add_org_unit(
        conn, code=YAOTOU[0], name=YAOTOU[1], kind="community", parent_code=STREET
    )
    for code, name in YAOTOU_GRIDS:
        await community.add_org_unit(conn, code=code, name=name, kind="grid", parent_code=YAOTOU[0])
    for (grid, _), names in zip(YAOTOU_GRIDS, YAOTOU_COUNCIL, strict=True):
        for letter, name in zip("ab", names, strict=True):
            code = f"{grid}-{letter}"
            if await community.find_council_member(conn, code) is None:
                await community.add_council_member(conn, code=code, name=name, grid_code=grid)
    # Found by number first: a volunteer changed or moved through the API since the last load
    # is left as they are, not reported as a conflict.
    for person in PEOPLE:
        if await community.find_passbook(conn, person.number) is None:
            await community.register_volunteer(
                conn,
                passbook_number=person.number,
                name=person.name,
                grid_code=person.grid,
                phone=person.phone,
                leaderboard_opt_out=person.opt_out,
                now=REGISTERED_AT,
            )
    members = {}
    for grid in {plan.grid for plan in PLANS}:
        for letter in "ab":
            member = await community.find_council_member(conn, f"{grid}-{letter}")
            assert member is not None, f"council member {grid}-{letter}"
            members[member.code] = member.id
    return members


async def _loaded_keys(conn: AsyncConnection) -> set[str]:
    notes = await council.sheet_notes(conn, containing="demo:")
    return {match.group(0) for note in notes if (match := _KEY.search(note))}


async def _enact(conn: AsyncConnection, plan: SheetPlan, members: dict[str, int]) -> None:
    author, approver = members[f"{plan.grid}-a"], members[f"{plan.grid}-b"]
    drafted = _at(plan.on + timedelta(days=1), 9)
    sheet = await council.draft_sheet(
        conn,
        member_id=author,
        rule_code=plan.rule,
        activity_date=plan.on,
        place=plan.place,
        note=plan.note,
        lines=plan.lines,
        community_wide=plan.community_wide,
        actor=f"{ACTOR}:{plan.grid}-a",
        max_age_days=MAX_AGE_DAYS,
        now=drafted,
    )
    await council.submit_sheet(
        conn, sheet_id=sheet.id, member_id=author, now=drafted + timedelta(minutes=20)
    )
    decided = _at(plan.on + timedelta(days=2), 10)
    if plan.fate == "submitted":
        return
    if plan.fate == "rejected":
        await council.reject_sheet(
            conn,
            sheet_id=sheet.id,
            member_id=approver,
            reason=REJECT_REASON,
            actor=f"{ACTOR}:{plan.grid}-b",
            now=decided,
        )
        return
    await council.approve_sheet(
        conn, sheet_id=sheet.id, member_id=approver, actor=f"{ACTOR}:{plan.grid}-b", now=decided
    )
    if plan.fate == "corrected":
        # four eyes: the approver proposes taking line 2 back, the author confirms it
        proposal = await council.propose_takeback(
            conn,
            sheet_id=sheet.id,
            line_no=2,
            reason=CORRECT_REASON,
            person=f"member:{approver}",
            actor=f"{ACTOR}:{plan.grid}-b",
            member_id=approver,
            now=decided + timedelta(days=3),
        )
        await council.confirm_takeback(
            conn,
            takeback_id=proposal.id,
            person=f"member:{author}",
            actor=f"{ACTOR}:{plan.grid}-a",
            member_id=author,
            now=decided + timedelta(days=3, hours=1),
        )


async def load_lived_in(conn: AsyncConnection) -> None:
    """Add the second community, the volunteers and their scored months (idempotent)."""
    members = await _register(conn)
    loaded = await _loaded_keys(conn)
    for plan in PLANS:
        if plan.key not in loaded:
            await _enact(conn, plan, members)
