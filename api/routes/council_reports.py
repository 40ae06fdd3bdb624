"""Grid reports: points in circulation, issuance per grid and month, the leaderboard, each
also as CSV for Excel (:mod:`export`: a byte-order mark first, so Chinese names open intact)
and as an ``.xlsx`` workbook (the same path ending ``.xlsx``: numbers as numbers).

Who sees which figures is checked by :mod:`council.services.reports`: admins, council members
and auditors, for the units under their own.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

import db
import export
import scheme_time
from access import Principal, Role
from api.auth import roles
from api.routes._council_out import circulation_out, issuance_out, leaderboard_out
from api.schemas import council as cs
from council import services

MonthQuery = Annotated[str, QueryParameter(pattern=scheme_time.MONTH_PATTERN)]
GridQuery = Annotated[str | None, QueryParameter(max_length=40)]
LimitQuery = Annotated[int, QueryParameter(ge=1, le=200)]


def _csv(header: list[str], rows: list[list[Any]], filename: str) -> Response[str]:
    return Response(
        content=export.csv_text(header, rows),
        media_type=export.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _xlsx(header: list[str], rows: list[list[Any]], filename: str, title: str) -> Response[bytes]:
    return Response(
        content=export.xlsx_bytes(header, rows, title),
        media_type=export.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


ISSUANCE_HEADER = ["网格 grid", "网格名称 grid name", "月份 month", "评分表 sheets", "积分 scored",
                   "激励 bonuses", "冲正 taken back", "净发放 net"]  # fmt: skip
LEADERBOARD_HEADER = ["名次 rank", "存折号 passbook", "姓名 name", "网格 grid", "积分 points"]


def _issuance_rows(report: cs.IssuanceReport) -> list[list[Any]]:
    return [
        [r.grid, r.grid_name, r.month, r.sheets, r.scored, r.bonuses, r.taken_back, r.net]
        for r in report.rows
    ]


def _leaderboard_rows(board: cs.Leaderboard) -> list[list[Any]]:
    return [[r.rank, r.passbook, r.holder, r.grid, r.points] for r in board.rows]


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]
    guards = [roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)]

    @get("/circulation", summary="Points each grid and community has put into circulation")
    async def circulation(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> list[cs.CirculationRow]:
        return circulation_out(await tx.read(services.circulation, principal))

    @get("/issuance", summary="Points issued per grid and month, in this token's scope")
    async def issuance(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
    ) -> cs.IssuanceReport:
        report = await tx.read(
            services.issuance_report, principal, since=since, until=until, grid=grid
        )
        return issuance_out(report)

    @get(
        "/issuance.csv",
        summary="The issuance report as CSV (opens in Excel with Chinese names intact)",
        media_type=export.CSV_MEDIA_TYPE,
    )
    async def issuance_csv(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
    ) -> Response[str]:
        report = issuance_out(
            await tx.read(services.issuance_report, principal, since=since, until=until, grid=grid)
        )
        return _csv(ISSUANCE_HEADER, _issuance_rows(report), f"issuance-{since}-{until}.csv")

    @get(
        "/issuance.xlsx",
        summary="The issuance report as an Excel workbook (.xlsx), numbers as numbers",
        media_type=export.XLSX_MEDIA_TYPE,
    )
    async def issuance_xlsx(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
    ) -> Response[bytes]:
        report = issuance_out(
            await tx.read(services.issuance_report, principal, since=since, until=until, grid=grid)
        )
        return _xlsx(
            ISSUANCE_HEADER,
            _issuance_rows(report),
            f"issuance-{since}-{until}.xlsx",
            f"积分发放 {since}..{until}",
        )

    @get(
        "/leaderboard", summary="Who earned the most points (volunteers who opted out are left out)"
    )
    async def leaderboard(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
        limit: LimitQuery = 20,
    ) -> cs.Leaderboard:
        board = await tx.read(
            services.leaderboard, principal, since=since, until=until, grid=grid, limit=limit
        )
        return leaderboard_out(board)

    @get("/leaderboard.csv", summary="The leaderboard as CSV", media_type=export.CSV_MEDIA_TYPE)
    async def leaderboard_csv(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
        limit: LimitQuery = 20,
    ) -> Response[str]:
        board = leaderboard_out(
            await tx.read(
                services.leaderboard, principal, since=since, until=until, grid=grid, limit=limit
            )
        )
        return _csv(
            LEADERBOARD_HEADER, _leaderboard_rows(board), f"leaderboard-{since}-{until}.csv"
        )

    @get(
        "/leaderboard.xlsx",
        summary="The leaderboard as an Excel workbook (.xlsx)",
        media_type=export.XLSX_MEDIA_TYPE,
    )
    async def leaderboard_xlsx(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
        limit: LimitQuery = 20,
    ) -> Response[bytes]:
        board = leaderboard_out(
            await tx.read(
                services.leaderboard, principal, since=since, until=until, grid=grid, limit=limit
            )
        )
        return _xlsx(
            LEADERBOARD_HEADER,
            _leaderboard_rows(board),
            f"leaderboard-{since}-{until}.xlsx",
            f"排行榜 {since}..{until}",
        )


ROUTES: list[Any] = [ReportController]
