"""Savings rules, love incentives and grid budgets.

Authorisation follows the org tree (:mod:`council.services` checks it): anyone signed in reads
the rules and incentives; community staff (admins) publish them and set budgets only under
their org unit; admins, council members and auditors read the budgets of grids under theirs.
Every write is one transaction. The scoring sheets are in :mod:`api.routes.sheets`, the
reports in :mod:`api.routes.council_reports`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

import db
from access import Principal, Role
from api.auth import roles
from api.routes._council_out import budget_out, incentive_out, rule_out
from api.schemas import council as cs
from council import services


class SavingsRuleController(Controller):
    path = "/api/savings-rules"
    tags = ["savings rules"]

    @get("/", summary="The savings rules (every version, or those in force on a day)")
    async def list_rules(
        self,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        on: FromQuery[date | None] = None,
    ) -> list[cs.SavingsRuleOut]:
        return [rule_out(rule) for rule in await tx.read(services.list_rules, principal, on=on)]

    @get("/{code:str}", summary="Every version of one savings rule, oldest first")
    async def versions(
        self,
        code: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> list[cs.SavingsRuleOut]:
        rules = await tx.read(services.rule_versions, principal, code=code)
        return [rule_out(rule) for rule in rules]

    @post("/", guards=[roles(Role.ADMIN)], summary="Publish a savings rule", status_code=201)
    async def publish(
        self,
        data: JSONBody[cs.SavingsRuleIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SavingsRuleOut:
        rule = await tx.write(
            services.publish_rule,
            principal,
            code=data.code,
            name=data.name,
            category=data.category,
            points_per_unit=data.points_per_unit,
            unit=data.unit,
            daily_cap_units=data.daily_cap_units,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            org_unit=data.org_unit,
        )
        return rule_out(rule)

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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.SavingsRuleOut:
        rule = await tx.write(
            services.revise_rule,
            principal,
            code=code,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            name=data.name,
            category=data.category,
            points_per_unit=data.points_per_unit,
            daily_cap_units=data.daily_cap_units,
        )
        return rule_out(rule)


class IncentiveController(Controller):
    path = "/api/incentives"
    tags = ["savings rules"]

    @get("/", summary="The love incentives (爱心激励)")
    async def list_incentives(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> list[cs.IncentiveOut]:
        items = await tx.read(services.list_incentives, principal)
        return [incentive_out(item) for item in items]

    @post("/", guards=[roles(Role.ADMIN)], summary="Publish a love incentive", status_code=201)
    async def publish(
        self,
        data: JSONBody[cs.IncentiveIn],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.IncentiveOut:
        item = await tx.write(
            services.publish_incentive,
            principal,
            code=data.code,
            name=data.name,
            kind=data.kind,
            threshold=data.threshold,
            bonus_points=data.bonus_points,
            org_unit=data.org_unit,
        )
        return incentive_out(item)


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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> list[cs.BudgetOut]:
        budgets = await tx.read(services.list_budgets, principal, grid=grid)
        return [budget_out(b) for b in budgets]

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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> cs.BudgetOut:
        budget = await tx.write(
            services.set_budget, principal, grid=grid, month=month, cap_points=data.cap_points
        )
        return budget_out(budget)


ROUTES: list[Any] = [SavingsRuleController, IncentiveController, BudgetController]
