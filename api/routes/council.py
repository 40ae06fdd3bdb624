"""Savings rules, love incentives, scoring sheets, grid budgets and grid reports.

Authorisation follows the org tree: a council member acts only in their own grid (the domain
checks the member's grid against the sheet's), community staff (admins) only under their org
unit, auditors read under theirs. Every write is one transaction.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import council
import db
from access import ORG_ROLES, Principal, Role
from api.auth import roles
from api.routes._common import (
    MAX_ID,
    IdPath,
    OptionalIdempotencyKeyHeader,
    optional_idempotency_key,
)
from api.schemas import council as cs
from config import Settings

MonthQuery = Annotated[str, QueryParameter(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$")]
GridQuery = Annotated[str | None, QueryParameter(max_length=40)]
LinePath = Annotated[int, PathParameter(ge=1, le=council.MAX_LINES)]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Excel reads a CSV as the local ANSI code page unless it starts with a UTF-8 byte order mark;
# with it, Chinese names open correctly.
UTF8_BOM = "\ufeff"


def _member(principal: Principal) -> int:
    if principal.role is not Role.COUNCIL or principal.member_id is None:
        raise PermissionDeniedException(
            "Only a council member's token can do this (it names the member who acts)."
        )
    return principal.member_id


async def _org_in_scope(
    conn: AsyncConnection, principal: Principal, code: str
) -> community.OrgUnit:
    unit = await community.find_org_unit(conn, code)
    if unit is None:
        raise community.OrgUnitNotFound(f"No org unit with code {code!r}.")
    if not community.within(unit.path, principal.scope):
        raise PermissionDeniedException(
            f"{unit.name} ({code}) is outside this token's scope ({principal.scope})."
        )
    return unit


def _rule_out(rule: council.SavingsRule) -> cs.SavingsRuleOut:
    return cs.SavingsRuleOut(
        code=rule.code,
        version=rule.version,
        name=rule.name,
        category=rule.category,
        points_per_unit=rule.points_per_unit,
        unit=rule.unit,
        daily_cap_units=rule.daily_cap_units,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
        org_unit=rule.org_path,
    )


def _incentive_out(item: council.Incentive) -> cs.IncentiveOut:
    return cs.IncentiveOut(
        code=item.code,
        name=item.name,
        kind=item.kind,
        threshold=item.threshold,
        bonus_points=item.bonus_points,
        org_unit=item.org_path,
        active=item.active,
    )


def _sheet_out(sheet: council.Sheet) -> cs.SheetOut:
    return cs.SheetOut(
        id=sheet.id,
        grid=sheet.grid_code,
        community_wide=sheet.community_wide,
        rule=_rule_out(sheet.rule),
        points_per_unit=sheet.points_per_unit,
        activity_date=sheet.activity_date,
        place=sheet.place,
        note=sheet.note,
        status=sheet.status,
        reversed=sheet.reversal_entry_id is not None,
        author=sheet.author_code,
        approver=sheet.approver_code,
        created_at=sheet.created_at,
        submitted_at=sheet.submitted_at,
        decided_at=sheet.decided_at,
        reject_reason=sheet.reject_reason,
        entry_id=sheet.entry_id,
        reversal_entry_id=sheet.reversal_entry_id,
        reversal_reason=sheet.reversal_reason,
        total_points=sheet.total_points,
        lines=[
            cs.SheetLineOut(
                line=line.line_no,
                passbook=line.passbook_number,
                holder=line.holder_name,
                units=line.units,
                points=line.points,
                note=line.note,
                corrected=line.correction_entry_id is not None,
                correction_entry_id=line.correction_entry_id,
                correction_reason=line.correction_reason,
            )
            for line in sheet.lines
        ],
        bonuses=[
            cs.BonusOut(passbook=number, incentive=name, points=points)
            for number, name, points in sheet.bonuses
        ],
        replayed=sheet.replayed,
    )


class SavingsRuleController(Controller):
    path = "/api/savings-rules"
    tags = ["savings rules"]

    @get("/", summary="The savings rules (every version, or those in force on a day)")
    async def list_rules(
        self, engine: NamedDependency[AsyncEngine], on: FromQuery[date | None] = None
    ) -> list[cs.SavingsRuleOut]:
        async with db.read_transaction(engine) as conn:
            return [_rule_out(rule) for rule in await council.list_rules(conn, on=on)]

    @get("/{code:str}", summary="Every version of one savings rule, oldest first")
    async def versions(
        self, code: FromPath[str], engine: NamedDependency[AsyncEngine]
    ) -> list[cs.SavingsRuleOut]:
        async with db.read_transaction(engine) as conn:
            return [_rule_out(rule) for rule in await council.rule_versions(conn, code)]

    @post("/", guards=[roles(Role.ADMIN)], summary="Publish a savings rule", status_code=201)
    async def publish(
        self,
        data: JSONBody[cs.SavingsRuleIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SavingsRuleOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> cs.SavingsRuleOut:
            await _org_in_scope(conn, principal, data.org_unit)
            rule = await council.add_rule(
                conn,
                code=data.code,
                name=data.name,
                category=data.category,
                points_per_unit=data.points_per_unit,
                unit=data.unit,
                daily_cap_units=data.daily_cap_units,
                valid_from=data.valid_from,
                valid_to=data.valid_to,
                org_code=data.org_unit,
                actor=principal.actor,
            )
            return _rule_out(rule)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{code:str}/versions",
        guards=[roles(Role.ADMIN)],
        summary="Change a savings rule from a date: a new version; sheets keep theirs",
        status_code=201,
    )
    async def revise(
        self,
        code: FromPath[str],
        data: JSONBody[cs.SavingsRuleVersionIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SavingsRuleOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> cs.SavingsRuleOut:
            latest = (await council.rule_versions(conn, code))[-1]
            if not community.within(latest.org_path, principal.scope):
                raise PermissionDeniedException(
                    f"Rule {code!r} belongs to {latest.org_path}; only staff of that unit (or "
                    "above) may change it."
                )
            rule = await council.revise_rule(
                conn,
                code=code,
                valid_from=data.valid_from,
                valid_to=data.valid_to,
                name=data.name,
                category=data.category,
                points_per_unit=data.points_per_unit,
                daily_cap_units=data.daily_cap_units,
                actor=principal.actor,
            )
            return _rule_out(rule)

        return await db.run_in_transaction(engine, use_case)


class IncentiveController(Controller):
    path = "/api/incentives"
    tags = ["savings rules"]

    @get("/", summary="The love incentives (爱心激励)")
    async def list_incentives(self, engine: NamedDependency[AsyncEngine]) -> list[cs.IncentiveOut]:
        async with db.read_transaction(engine) as conn:
            return [_incentive_out(item) for item in await council.list_incentives(conn)]

    @post("/", guards=[roles(Role.ADMIN)], summary="Publish a love incentive", status_code=201)
    async def publish(
        self,
        data: JSONBody[cs.IncentiveIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.IncentiveOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> cs.IncentiveOut:
            await _org_in_scope(conn, principal, data.org_unit)
            item = await council.add_incentive(
                conn,
                code=data.code,
                name=data.name,
                kind=data.kind,
                threshold=data.threshold,
                bonus_points=data.bonus_points,
                org_code=data.org_unit,
                actor=principal.actor,
            )
            return _incentive_out(item)

        return await db.run_in_transaction(engine, use_case)


def _budget_out(budget: council.Budget) -> cs.BudgetOut:
    return cs.BudgetOut(
        grid=budget.grid_code,
        month=budget.month,
        cap_points=budget.cap_points,
        issued_points=budget.issued_points,
        left=budget.left,
    )


class BudgetController(Controller):
    path = "/api/grids/{grid:str}/budgets"
    tags = ["grid budgets"]

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="A grid's monthly issuance budgets and what each month has issued",
    )
    async def list_budgets(
        self,
        grid: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> list[cs.BudgetOut]:
        async with db.read_transaction(engine) as conn:
            await _org_in_scope(conn, request.user, grid)
            return [_budget_out(b) for b in await council.list_budgets(conn, grid)]

    @put(
        "/{month:str}",
        guards=[roles(Role.ADMIN)],
        summary="Set a grid's issuance budget for a month (YYYY-MM)",
    )
    async def set_budget(
        self,
        grid: FromPath[str],
        month: FromPath[str],
        data: JSONBody[cs.BudgetIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.BudgetOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> cs.BudgetOut:
            await _org_in_scope(conn, principal, grid)
            budget = await council.set_budget(
                conn, grid_code=grid, month=month, cap_points=data.cap_points, actor=principal.actor
            )
            return _budget_out(budget)

        return await db.run_in_transaction(engine, use_case)


async def _readable_sheet(
    conn: AsyncConnection, principal: Principal, sheet_id: int
) -> council.Sheet:
    sheet = await council.get_sheet(conn, sheet_id)
    if principal.role not in ORG_ROLES or not community.within(sheet.grid_path, principal.scope):
        raise PermissionDeniedException(
            f"Sheet {sheet_id} belongs to grid {sheet.grid_code}, outside this token's scope."
        )
    return sheet


class SheetController(Controller):
    path = "/api/sheets"
    tags = ["scoring sheets"]

    @post(
        "/",
        guards=[roles(Role.COUNCIL)],
        summary="Draft a scoring sheet for one activity (optionally submitting it at once)",
        description="Send an Idempotency-Key header to make a retry safe: the same key and the "
        "same draft answer the first sheet (replayed: true), the same key with another draft "
        "is a 409.",
        status_code=201,
    )
    async def draft(
        self,
        data: JSONBody[cs.SheetIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        idempotency_header: OptionalIdempotencyKeyHeader = None,
    ) -> cs.SheetOut:
        principal = request.user
        member_id = _member(principal)
        settings: Settings = request.app.state.settings
        key = optional_idempotency_key(request)

        async def use_case(conn: AsyncConnection) -> cs.SheetOut:
            sheet = await council.draft_sheet(
                conn,
                member_id=member_id,
                rule_code=data.rule,
                activity_date=data.activity_date,
                place=data.place,
                note=data.note,
                community_wide=data.community_wide,
                lines=[council.LineIn(x.passbook, x.units, x.note) for x in data.lines],
                actor=principal.actor,
                max_age_days=settings.sheet_max_age_days,
                idempotency_key=key,
            )
            if data.submit and sheet.status == "draft":
                # a replayed draft that was submitted (or decided) since is answered as it is
                submitted = await council.submit_sheet(conn, sheet_id=sheet.id, member_id=member_id)
                sheet = dataclasses.replace(submitted, replayed=sheet.replayed)
            return _sheet_out(sheet)

        return await db.run_in_transaction(engine, use_case)

    @get(
        "/",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="Scoring sheets in this token's scope, newest first",
    )
    async def list_sheets(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        status: Annotated[
            str | None, QueryParameter(pattern=r"^(draft|submitted|approved|rejected)$")
        ] = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
        grid: GridQuery = None,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> cs.SheetPage:
        principal = request.user
        async with db.read_transaction(engine) as conn:
            scope = principal.scope
            if grid is not None:
                scope = (await _org_in_scope(conn, principal, grid)).path
            rows = await council.list_sheets(
                conn,
                scope=scope,
                status=status,
                since=since,
                until=until,
                before_id=before,
                limit=limit,
            )
        return cs.SheetPage(
            sheets=[
                cs.SheetSummaryOut(
                    id=r.id,
                    grid=r.grid_code,
                    rule=r.rule_code,
                    rule_name=r.rule_name,
                    activity_date=r.activity_date,
                    place=r.place,
                    status=r.status,
                    reversed=r.reversed,
                    lines=r.lines,
                    points=r.points,
                )
                for r in rows
            ],
            earlier=rows[-1].id if len(rows) == limit else None,
        )

    @get(
        "/{sheet_id:int}",
        guards=[roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)],
        summary="A scoring sheet with its lines and bonuses",
    )
    async def read(
        self,
        sheet_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SheetOut:
        async with db.read_transaction(engine) as conn:
            return _sheet_out(await _readable_sheet(conn, request.user, sheet_id))

    @post(
        "/{sheet_id:int}/submit",
        guards=[roles(Role.COUNCIL)],
        summary="Submit a draft for a colleague's approval",
        status_code=200,
    )
    async def submit(
        self,
        sheet_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SheetOut:
        member_id = _member(request.user)

        async def use_case(conn: AsyncConnection) -> cs.SheetOut:
            return _sheet_out(
                await council.submit_sheet(conn, sheet_id=sheet_id, member_id=member_id)
            )

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{sheet_id:int}/approve",
        guards=[roles(Role.COUNCIL)],
        summary="Approve a colleague's sheet: its points post to the passbooks",
        status_code=200,
    )
    async def approve(
        self,
        sheet_id: IdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SheetOut:
        principal = request.user
        member_id = _member(principal)

        async def use_case(conn: AsyncConnection) -> cs.SheetOut:
            sheet = await council.approve_sheet(
                conn, sheet_id=sheet_id, member_id=member_id, actor=principal.actor
            )
            return _sheet_out(sheet)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{sheet_id:int}/reject",
        guards=[roles(Role.COUNCIL)],
        summary="Send a colleague's sheet back, saying why",
        status_code=200,
    )
    async def reject(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.ReasonIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SheetOut:
        principal = request.user
        member_id = _member(principal)

        async def use_case(conn: AsyncConnection) -> cs.SheetOut:
            sheet = await council.reject_sheet(
                conn,
                sheet_id=sheet_id,
                member_id=member_id,
                reason=data.reason,
                actor=principal.actor,
            )
            return _sheet_out(sheet)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{sheet_id:int}/reversal",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Reverse a posted sheet whole (its bonuses too), with a reason",
        status_code=200,
    )
    async def reverse(
        self,
        sheet_id: IdPath,
        data: JSONBody[cs.ReasonIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SheetOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> cs.SheetOut:
            member_id = await _corrector(conn, principal, sheet_id)
            sheet = await council.reverse_sheet(
                conn,
                sheet_id=sheet_id,
                reason=data.reason,
                actor=principal.actor,
                member_id=member_id,
            )
            return _sheet_out(sheet)

        return await db.run_in_transaction(engine, use_case)

    @post(
        "/{sheet_id:int}/lines/{line:int}/correction",
        guards=[roles(Role.COUNCIL, Role.ADMIN)],
        summary="Take back one line's points, with a reason",
        status_code=200,
    )
    async def correct(
        self,
        sheet_id: IdPath,
        line: LinePath,
        data: JSONBody[cs.ReasonIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> cs.SheetOut:
        principal = request.user

        async def use_case(conn: AsyncConnection) -> cs.SheetOut:
            member_id = await _corrector(conn, principal, sheet_id)
            sheet = await council.correct_line(
                conn,
                sheet_id=sheet_id,
                line_no=line,
                reason=data.reason,
                actor=principal.actor,
                member_id=member_id,
            )
            return _sheet_out(sheet)

        return await db.run_in_transaction(engine, use_case)


async def _corrector(conn: AsyncConnection, principal: Principal, sheet_id: int) -> int | None:
    """The council member correcting (the domain checks their grid), or None for staff whose
    scope covers the sheet."""
    if principal.role is Role.COUNCIL:
        return _member(principal)
    await _readable_sheet(conn, principal, sheet_id)
    return None


def _csv(header: list[str], rows: Iterable[list[Any]], filename: str) -> Response[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        content=UTF8_BOM + out.getvalue(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _report_scope(principal: Principal, scope: str | None) -> str:
    if scope is None:
        return principal.scope
    if not community.within(scope, principal.scope):
        raise PermissionDeniedException(f"{scope} is outside this token's scope.")
    return scope


def _months(since: str, until: str) -> None:
    if since > until:
        raise ValidationException(f"'since' ({since}) is after 'until' ({until}).")


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]
    guards = [roles(Role.ADMIN, Role.COUNCIL, Role.AUDITOR)]

    async def _issuance(
        self, engine: AsyncEngine, principal: Principal, since: str, until: str, grid: str | None
    ) -> cs.IssuanceReport:
        _months(since, until)
        async with db.read_transaction(engine) as conn:
            scope = (await _org_in_scope(conn, principal, grid)).path if grid else principal.scope
            rows = await council.issuance_report(conn, scope=scope, since=since, until=until)
        return cs.IssuanceReport(
            since=since,
            until=until,
            rows=[
                cs.IssuanceRow(
                    grid=r.grid_code,
                    grid_name=r.grid_name,
                    month=r.month,
                    sheets=r.sheets,
                    scored=r.scored,
                    bonuses=r.bonuses,
                    taken_back=r.taken_back,
                    net=r.net,
                )
                for r in rows
            ],
            total_net=sum(r.net for r in rows),
        )

    @get("/circulation", summary="Points each grid and community has put into circulation")
    async def circulation(
        self, request: Request[Principal, str, State], engine: NamedDependency[AsyncEngine]
    ) -> list[cs.CirculationRow]:
        async with db.read_transaction(engine) as conn:
            rows = await council.circulation(conn, scope=request.user.scope)
        return [
            cs.CirculationRow(code=r.code, name=r.name, kind=r.kind, issued=r.issued) for r in rows
        ]

    @get("/issuance", summary="Points issued per grid and month, in this token's scope")
    async def issuance(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
    ) -> cs.IssuanceReport:
        return await self._issuance(engine, request.user, since, until, grid)

    @get(
        "/issuance.csv",
        summary="The issuance report as CSV (opens in Excel with Chinese names intact)",
        media_type=CSV_MEDIA_TYPE,
    )
    async def issuance_csv(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
    ) -> Response[str]:
        report = await self._issuance(engine, request.user, since, until, grid)
        return _csv(
            ["网格 grid", "网格名称 grid name", "月份 month", "评分表 sheets", "积分 scored",
             "激励 bonuses", "冲正 taken back", "净发放 net"],
            [
                [r.grid, r.grid_name, r.month, r.sheets, r.scored, r.bonuses, r.taken_back, r.net]
                for r in report.rows
            ],
            f"issuance-{since}-{until}.csv",
        )  # fmt: skip

    async def _leaderboard(
        self,
        engine: AsyncEngine,
        principal: Principal,
        since: str,
        until: str,
        grid: str | None,
        limit: int,
    ) -> cs.Leaderboard:
        _months(since, until)
        async with db.read_transaction(engine) as conn:
            scope = (await _org_in_scope(conn, principal, grid)).path if grid else principal.scope
            rows = await council.leaderboard(
                conn, scope=scope, since=since, until=until, limit=limit
            )
        return cs.Leaderboard(
            scope=scope,
            since=since,
            until=until,
            rows=[
                cs.LeaderboardRow(
                    rank=r.rank,
                    passbook=r.passbook,
                    holder=r.holder,
                    grid=r.grid_code,
                    points=r.points,
                )
                for r in rows
            ],
        )

    @get(
        "/leaderboard", summary="Who earned the most points (volunteers who opted out are left out)"
    )
    async def leaderboard(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
    ) -> cs.Leaderboard:
        return await self._leaderboard(engine, request.user, since, until, grid, limit)

    @get("/leaderboard.csv", summary="The leaderboard as CSV", media_type=CSV_MEDIA_TYPE)
    async def leaderboard_csv(
        self,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        since: MonthQuery,
        until: MonthQuery,
        grid: GridQuery = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
    ) -> Response[str]:
        board = await self._leaderboard(engine, request.user, since, until, grid, limit)
        return _csv(
            ["名次 rank", "存折号 passbook", "姓名 name", "网格 grid", "积分 points"],
            [[r.rank, r.passbook, r.holder, r.grid, r.points] for r in board.rows],
            f"leaderboard-{since}-{until}.csv",
        )


ROUTES: list[Any] = [
    SavingsRuleController,
    IncentiveController,
    BudgetController,
    SheetController,
    ReportController,
]
