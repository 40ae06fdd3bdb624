"""A merchant's settlement statement: the vouchers it consumed in a period, and their points.

Invariant: the statement lists exactly the vouchers settled into the merchant's ledger account
in the period (local days, both ends included), each with the ledger entry that moved its
points, so it can be checked against the books line by line.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from export import csv_bytes, xlsx_bytes
from i18n import _
from rewards._codes import grouped
from rewards._merchants import get_merchant
from rewards._tables import reward, voucher
from rewards._time import start_of
from rewards._types import RewardTotal, Settlement, SettlementLine, VoucherStatus
from rewards.errors import InvalidRedemption
from scheme_time import SCHEME_TZ

MAX_PERIOD_DAYS = 366


async def settlement(
    conn: AsyncConnection, *, merchant_code: str, first_day: date, last_day: date
) -> Settlement:
    if last_day < first_day:
        raise InvalidRedemption(_("The period ends before it starts; swap 'from' and 'to'."))
    if (last_day - first_day).days >= MAX_PERIOD_DAYS:
        raise InvalidRedemption(
            _(
                "A settlement covers at most {max_period_days} days.",
                max_period_days=MAX_PERIOD_DAYS,
            )
        )
    seller = await get_merchant(conn, merchant_code)
    rows = await conn.execute(
        select(
            voucher.c.closed_at,
            voucher.c.code,
            voucher.c.points,
            voucher.c.closed_by,
            voucher.c.settle_entry_id,
            reward.c.code.label("reward_code"),
            reward.c.name.label("reward_name"),
        )
        .join(reward, reward.c.id == voucher.c.reward_id)
        .where(
            voucher.c.merchant_id == seller.id,
            voucher.c.status == VoucherStatus.USED,
            voucher.c.closed_at >= start_of(first_day),
            voucher.c.closed_at < start_of(last_day + timedelta(days=1)),
        )
        .order_by(voucher.c.closed_at, voucher.c.id)
    )
    lines = tuple(
        SettlementLine(
            used_at=row.closed_at,
            voucher_code=row.code,
            reward_code=row.reward_code,
            reward_name=row.reward_name,
            points=row.points,
            scanned_by=row.closed_by,
            entry_id=ledger.EntryId(row.settle_entry_id),
        )
        for row in rows
    )
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        total = totals[(line.reward_code, line.reward_name)]
        total[0] += 1
        total[1] += line.points
    by_reward = tuple(
        RewardTotal(code, name, count, points)
        for (code, name), (count, points) in sorted(totals.items())
    )
    return Settlement(seller, first_day, last_day, lines, by_reward)


SETTLEMENT_HEADER = [
    "使用时间 used at",
    "券号 voucher",
    "奖品代码 reward code",
    "奖品 reward",
    "积分 points",
    "扫码 scanned by",
    "记账分录 entry",
]


def _settlement_rows(statement: Settlement, *, local_time: bool) -> list[list[object]]:
    rows: list[list[object]] = [
        [
            line.used_at.astimezone(SCHEME_TZ).strftime("%Y-%m-%d %H:%M:%S")
            if local_time
            else line.used_at,
            grouped(line.voucher_code),
            line.reward_code,
            line.reward_name,
            line.points,
            line.scanned_by,
            line.entry_id,
        ]
        for line in statement.lines
    ]
    rows.append(
        [
            f"合计 total {statement.first_day}..{statement.last_day}",
            statement.vouchers,
            "",
            "",
            statement.points,
            "",
            "",
        ]
    )
    return rows


def settlement_csv(statement: Settlement) -> bytes:
    """The statement as CSV for Excel (:mod:`export`: UTF-8 with a byte-order mark, so the
    Chinese names show correctly); one line per voucher and a total line."""
    return csv_bytes(SETTLEMENT_HEADER, _settlement_rows(statement, local_time=True))


def settlement_xlsx(statement: Settlement) -> bytes:
    """The statement as an ``.xlsx`` workbook: the same lines as :func:`settlement_csv`, the
    moment each voucher was used a real date-time (China Standard Time), points as numbers."""
    title = f"结算 {statement.merchant.code} {statement.first_day}..{statement.last_day}"
    return xlsx_bytes(SETTLEMENT_HEADER, _settlement_rows(statement, local_time=False), title)
