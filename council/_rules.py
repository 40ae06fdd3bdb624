"""Savings rules (储蓄细则): what service earns how many points, and when.

Invariants: a rule's versions never overlap in time (a new version closes the one before it
the day before it starts) and are never edited once a sheet uses them; a sheet is scored under
the version in force on its activity date, and keeps that version's rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from council._tables import UNITS, savings_rule
from council._words import units_word
from council.errors import InvalidRule, RuleNotFound
from i18n import _

MAX_POINTS_PER_UNIT = 1000
MAX_DAILY_CAP = 24


@dataclass(frozen=True, slots=True)
class SavingsRule:
    """One version of a savings rule."""

    id: int
    code: str
    version: int
    name: str
    category: str
    points_per_unit: int
    unit: str
    daily_cap_units: int
    valid_from: date
    valid_to: date | None
    org_path: str

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def _query() -> Any:
    return select(
        savings_rule.c.id,
        savings_rule.c.code,
        savings_rule.c.version,
        savings_rule.c.name,
        savings_rule.c.category,
        savings_rule.c.points_per_unit,
        savings_rule.c.unit,
        savings_rule.c.daily_cap_units,
        savings_rule.c.valid_from,
        savings_rule.c.valid_to,
        community.org_unit.c.path,
    ).join(community.org_unit, community.org_unit.c.id == savings_rule.c.org_unit_id)


def _rule(row: Any) -> SavingsRule:
    return SavingsRule(*row)


def _check_terms(
    *, name: str, category: str, points_per_unit: int, unit: str, daily_cap_units: int
) -> None:
    if not name.strip() or len(name) > 100:
        raise InvalidRule(_("A savings rule needs a name of 1 to 100 characters."))
    if not category.strip() or len(category) > 40:
        raise InvalidRule(_("A savings rule needs a category of 1 to 40 characters."))
    if not 1 <= points_per_unit <= MAX_POINTS_PER_UNIT:
        raise InvalidRule(
            _(
                "Points per unit must be 1 to {max_points_per_unit}; got {points_per_unit}.",
                max_points_per_unit=MAX_POINTS_PER_UNIT,
                points_per_unit=points_per_unit,
            )
        )
    if unit not in UNITS:
        raise InvalidRule(
            _("Unit {unit!r} is not one of: {units}.", unit=unit, units=", ".join(UNITS))
        )
    if not 1 <= daily_cap_units <= MAX_DAILY_CAP:
        raise InvalidRule(
            _(
                "The daily cap must be 1 to {max_daily_cap} {unit}; got {daily_cap_units}.",
                max_daily_cap=MAX_DAILY_CAP,
                unit=units_word(unit),
                daily_cap_units=daily_cap_units,
            )
        )


async def add_rule(
    conn: AsyncConnection,
    *,
    code: str,
    name: str,
    category: str,
    points_per_unit: int,
    unit: str,
    daily_cap_units: int,
    valid_from: date,
    valid_to: date | None,
    org_code: str,
    actor: str,
) -> SavingsRule:
    """Publish a new savings rule (version 1) for an org unit and everything under it."""
    if not community.is_code(code):
        raise InvalidRule(
            _("Rule code {code!r} must be 1-40 lower-case letters, digits or dashes.", code=code)
        )
    _check_terms(
        name=name,
        category=category,
        points_per_unit=points_per_unit,
        unit=unit,
        daily_cap_units=daily_cap_units,
    )
    if valid_to is not None and valid_to < valid_from:
        raise InvalidRule(
            _(
                "The rule ends ({valid_to}) before it starts ({valid_from}).",
                valid_to=valid_to,
                valid_from=valid_from,
            )
        )
    unit_row = await community.get_org_unit(conn, org_code)
    if await conn.scalar(select(savings_rule.c.id).where(savings_rule.c.code == code)):
        raise InvalidRule(
            _(
                "A savings rule with code {code!r} exists; publish a new version of it instead.",
                code=code,
            )
        )
    await conn.execute(
        savings_rule.insert().values(
            code=code,
            version=1,
            name=name.strip(),
            category=category.strip(),
            points_per_unit=points_per_unit,
            unit=unit,
            daily_cap_units=daily_cap_units,
            valid_from=valid_from,
            valid_to=valid_to,
            org_unit_id=unit_row.id,
            created_at=datetime.now(UTC),
            created_by=actor,
        )
    )
    return (await rule_versions(conn, code))[-1]


async def revise_rule(
    conn: AsyncConnection,
    *,
    code: str,
    valid_from: date,
    actor: str,
    name: str | None = None,
    category: str | None = None,
    points_per_unit: int | None = None,
    daily_cap_units: int | None = None,
    valid_to: date | None = None,
) -> SavingsRule:
    """Publish a new version of a rule from ``valid_from``; the current version ends the day
    before. Sheets already scored keep the version and rate they were scored under."""
    versions = await rule_versions(conn, code, lock=True)
    latest = versions[-1]
    if valid_from <= latest.valid_from:
        raise InvalidRule(
            _(
                "Version {version} of {code!r} starts {valid_from}; a new version must "
                "start after it.",
                version=latest.version,
                code=code,
                valid_from=latest.valid_from,
            )
        )
    if valid_to is not None and valid_to < valid_from:
        raise InvalidRule(
            _(
                "The new version ends ({valid_to}) before it starts ({valid_from}).",
                valid_to=valid_to,
                valid_from=valid_from,
            )
        )
    terms = {
        "name": (name if name is not None else latest.name).strip(),
        "category": (category if category is not None else latest.category).strip(),
        "points_per_unit": points_per_unit
        if points_per_unit is not None
        else latest.points_per_unit,
        "unit": latest.unit,
        "daily_cap_units": daily_cap_units
        if daily_cap_units is not None
        else latest.daily_cap_units,
    }
    _check_terms(**terms)  # type: ignore[arg-type]
    ends = valid_from - timedelta(days=1)
    if latest.valid_to is None or latest.valid_to > ends:
        await conn.execute(
            savings_rule.update().where(savings_rule.c.id == latest.id).values(valid_to=ends)
        )
    org_unit_id = await conn.scalar(
        select(savings_rule.c.org_unit_id).where(savings_rule.c.id == latest.id)
    )
    await conn.execute(
        savings_rule.insert().values(
            code=code,
            version=latest.version + 1,
            valid_from=valid_from,
            valid_to=valid_to,
            org_unit_id=org_unit_id,
            created_at=datetime.now(UTC),
            created_by=actor,
            **terms,
        )
    )
    return (await rule_versions(conn, code))[-1]


async def rule_versions(
    conn: AsyncConnection, code: str, *, lock: bool = False
) -> list[SavingsRule]:
    """Every version of a rule, oldest first; :class:`RuleNotFound` if there is none."""
    query = _query().where(savings_rule.c.code == code).order_by(savings_rule.c.version)
    if lock:
        query = query.with_for_update(of=savings_rule)
    versions = [_rule(row) for row in await conn.execute(query)]
    if not versions:
        raise RuleNotFound(_("No savings rule with code {code!r}.", code=code))
    return versions


async def rule_in_force(conn: AsyncConnection, code: str, on: date) -> SavingsRule:
    """The version of ``code`` in force on ``on``."""
    for version in await rule_versions(conn, code):
        if version.in_force(on):
            return version
    raise InvalidRule(_("Savings rule {code!r} is not in force on {on}.", code=code, on=on))


async def get_rule_version(conn: AsyncConnection, rule_id: int) -> SavingsRule:
    row = (await conn.execute(_query().where(savings_rule.c.id == rule_id))).one()
    return _rule(row)


async def list_rules(conn: AsyncConnection, *, on: date | None = None) -> list[SavingsRule]:
    """Every rule's versions (or, with ``on``, the versions in force that day), by code."""
    query = _query().order_by(savings_rule.c.code, savings_rule.c.version)
    if on is not None:
        query = query.where(
            and_(
                savings_rule.c.valid_from <= on,
                or_(savings_rule.c.valid_to.is_(None), savings_rule.c.valid_to >= on),
            )
        )
    return [_rule(row) for row in await conn.execute(query)]
