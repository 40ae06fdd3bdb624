"""The savings rules (储蓄细则) and love incentives (爱心激励) of the demo street.

Drawn from the article: home visits with the property butler, help for people in difficulty,
corridor clean-ups, garbage-sorting duty, neighbour-dispute mediation and the weekly visit of
the "five ones" care routine. Published street-wide from 2026-01-01; loading twice changes
nothing (rules are found by code, incentives are idempotent on theirs).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

import council

STREET = "yanshan"
IN_FORCE_FROM = date(2026, 1, 1)
ACTOR = "demo-loader"

# code, name (as the street publishes it), category, points per unit, unit, daily cap (units)
RULES = [
    ("home-visit", "随物业管家入户走访", "property", 5, "visit", 4),
    ("help-in-difficulty", "帮扶困难群众", "care", 8, "hour", 4),
    ("corridor-cleanup", "楼道清理", "property", 5, "hour", 3),
    ("garbage-sorting", "垃圾分类值守", "environment", 4, "hour", 4),
    ("dispute-mediation", "邻里纠纷调解", "harmony", 15, "time", 2),
    ("five-ones-visit", "\"五个一\"每周走访", "care", 6, "visit", 1),
]  # fmt: skip

# code, name, kind, threshold, bonus
INCENTIVES = [
    ("milestone-200", "累计满200分", "milestone", 200, 20),
    ("milestone-500", "累计满500分", "milestone", 500, 50),
    ("streak-4-weeks", "连续4周服务", "streak", 4, 10),
]


async def load_rules(conn: AsyncConnection) -> None:
    known = {rule.code for rule in await council.list_rules(conn)}
    for code, name, category, points, unit, cap in RULES:
        if code in known:
            continue
        await council.add_rule(
            conn,
            code=code,
            name=name,
            category=category,
            points_per_unit=points,
            unit=unit,
            daily_cap_units=cap,
            valid_from=IN_FORCE_FROM,
            valid_to=None,
            org_code=STREET,
            actor=ACTOR,
        )
    for code, name, kind, threshold, bonus in INCENTIVES:
        await council.add_incentive(
            conn,
            code=code,
            name=name,
            kind=kind,
            threshold=threshold,
            bonus_points=bonus,
            org_code=STREET,
            actor=ACTOR,
        )
