"""Who may redeem what, now, and why not.

Invariant: browsing and redeeming judge a volunteer by the same rules (one function,
:func:`refusals`, for what does not depend on stock), so a reward shown as redeemable is
refused at redemption only by what changed in between (stock, quota, limit or points taken by
someone else, or the clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from i18n import _
from rewards._stock import limit_used, quota_used
from rewards._time import local_date, months_after
from rewards._types import Allocation, Offer, Reason, Reward
from rewards.errors import AllocatedByBallot, CannotRedeem, NotEligible, NotOnSale


@dataclass(frozen=True, slots=True)
class Volunteer:
    """What eligibility needs to know about a passbook's holder."""

    id: int
    passbook_number: str
    name: str
    grid_path: str
    status: str
    joined_on: date
    account_id: ledger.AccountId


def _volunteer_query() -> Select[Any]:
    person, grid = community.volunteer, community.org_unit
    return select(
        person.c.id,
        person.c.passbook_number,
        person.c.name,
        grid.c.path,
        person.c.status,
        person.c.joined_on,
        person.c.account_id,
    ).join(grid, grid.c.id == person.c.grid_id)


_BY_NUMBER = community.volunteer.c.passbook_number == bindparam("number")
_VOLUNTEER_BY_NUMBER = _volunteer_query().where(_BY_NUMBER)
_VOLUNTEER_WITH_BALANCE = ledger.with_balance(
    _volunteer_query(), community.volunteer.c.account_id
).where(_BY_NUMBER)
"""Built once: the holder, their grid and standing (and the kept balance), in one statement."""


def _not_found(passbook_number: str) -> community.PassbookNotFound:
    return community.PassbookNotFound(
        _(
            "No passbook numbered {passbook_number!r}. Check the number on the cover.",
            passbook_number=passbook_number,
        )
    )


def _volunteer(row: Row[Any]) -> Volunteer:
    return Volunteer(
        row.id,
        row.passbook_number,
        row.name,
        row.path,
        row.status,
        row.joined_on,
        ledger.AccountId(row.account_id),
    )


async def find_volunteer(conn: AsyncConnection, passbook_number: str) -> Volunteer:
    """The holder of passbook ``passbook_number`` as eligibility judges them, in one
    statement; :class:`community.PassbookNotFound` if no passbook has the number."""
    row = (await conn.execute(_VOLUNTEER_BY_NUMBER, {"number": passbook_number})).first()
    if row is None:
        raise _not_found(passbook_number)
    return _volunteer(row)


async def find_volunteer_with_balance(
    conn: AsyncConnection, passbook_number: str
) -> tuple[Volunteer, ledger.Balance]:
    """:func:`find_volunteer` and the passbook's kept balance, read by one statement."""
    row = (await conn.execute(_VOLUNTEER_WITH_BALANCE, {"number": passbook_number})).first()
    if row is None:
        raise _not_found(passbook_number)
    volunteer = _volunteer(row)
    return volunteer, ledger.balance_from(row, volunteer.account_id)


def refusals(
    reward: Reward, volunteer: Volunteer, balance: ledger.Balance, now: datetime
) -> list[CannotRedeem]:
    """Everything that keeps ``volunteer`` from redeeming ``reward`` at ``now`` that is not
    stock, quota, limit or points: withdrawn, sale window, ballot, eligibility."""
    found: list[CannotRedeem] = []
    if not reward.active:
        found.append(
            NotOnSale(
                _("{reward_name} has been withdrawn from the catalog.", reward_name=reward.name)
            )
        )
    elif reward.sale_starts_at is not None and now < reward.sale_starts_at:
        found.append(
            NotOnSale(
                _(
                    "{reward_name} can be redeemed from {sale_starts_at}.",
                    reward_name=reward.name,
                    sale_starts_at=local_date(reward.sale_starts_at),
                ),
                sale_starts_at=reward.sale_starts_at.isoformat(),
            )
        )
    elif reward.sale_ends_at is not None and now >= reward.sale_ends_at:
        found.append(
            NotOnSale(
                _(
                    "{reward_name} could be redeemed until {sale_ends_at}; the sale is over.",
                    reward_name=reward.name,
                    sale_ends_at=local_date(reward.sale_ends_at),
                ),
                sale_ends_at=reward.sale_ends_at.isoformat(),
            )
        )
    if reward.allocation is Allocation.BALLOT:
        found.append(
            AllocatedByBallot(
                _(
                    "{reward_name} is scarce and allocated by a ballot, not first come first "
                    "served: apply to the ballot instead.",
                    reward_name=reward.name,
                )
            )
        )
    if volunteer.status != "active":
        found.append(
            NotEligible(
                _(
                    "Passbook {passbook_number} is not active (its holder moved away); ask "
                    "the community office.",
                    passbook_number=volunteer.passbook_number,
                ),
                reason="not_active",
            )
        )
    if not community.within(volunteer.grid_path, reward.org_unit_path):
        found.append(
            NotEligible(
                _(
                    "{reward_name} is only for volunteers of {org_unit_name}.",
                    reward_name=reward.name,
                    org_unit_name=reward.org_unit_name,
                ),
                reason="outside_org_unit",
            )
        )
    if balance.lifetime_earned < reward.min_lifetime_points:
        found.append(
            NotEligible(
                _(
                    "{reward_name} needs {min_lifetime_points} points earned in all; this "
                    "passbook has earned {lifetime_earned}.",
                    reward_name=reward.name,
                    min_lifetime_points=reward.min_lifetime_points,
                    lifetime_earned=balance.lifetime_earned,
                ),
                reason="too_few_lifetime_points",
                needed=reward.min_lifetime_points,
                earned=balance.lifetime_earned,
            )
        )
    if reward.min_months_registered:
        eligible_from = months_after(volunteer.joined_on, reward.min_months_registered)
        if now < eligible_from:
            found.append(
                NotEligible(
                    _(
                        "{reward_name} is for volunteers registered at least "
                        "{min_months_registered} months; this one can redeem it from "
                        "{eligible_from}.",
                        reward_name=reward.name,
                        min_months_registered=reward.min_months_registered,
                        eligible_from=local_date(eligible_from),
                    ),
                    reason="registered_too_recently",
                    eligible_from=local_date(eligible_from).isoformat(),
                )
            )
    return found


async def offer(
    conn: AsyncConnection,
    reward: Reward,
    volunteer: Volunteer,
    balance: ledger.Balance,
    now: datetime,
) -> Offer:
    """``reward`` as ``volunteer`` sees it now, with every reason they cannot redeem it."""
    reasons = [Reason(r.code, r.message) for r in refusals(reward, volunteer, balance, now)]
    if reward.stock_left is not None and reward.stock_left <= 0:
        reasons.append(Reason("sold_out", _("{name} is sold out.", name=reward.name)))
    quota_left = None
    if reward.monthly_quota is not None:
        quota_left = max(reward.monthly_quota - await quota_used(conn, reward, now), 0)
        if quota_left == 0:
            reasons.append(
                Reason(
                    "quota_reached",
                    _(
                        "This month's quota of {name} is used up; it comes back next month.",
                        name=reward.name,
                    ),
                )
            )
    limit_left = None
    if reward.per_volunteer_limit is not None:
        used = await limit_used(conn, reward, volunteer.id, now)
        limit_left = max(reward.per_volunteer_limit - used, 0)
        if limit_left == 0:
            reasons.append(
                Reason(
                    "limit_reached",
                    _(
                        "This passbook already has its {limit} of {name}.",
                        limit=reward.per_volunteer_limit,
                        name=reward.name,
                    ),
                )
            )
    if balance.available < reward.cost_points:
        reasons.append(
            Reason(
                "not_enough_points",
                _(
                    "{name} costs {cost} points; this passbook has {available} available, "
                    "{short} short.",
                    name=reward.name,
                    cost=reward.cost_points,
                    available=balance.available,
                    short=reward.cost_points - balance.available,
                ),
            )
        )
    return Offer(reward, tuple(reasons), quota_left, limit_left, balance.available)
