"""Savings rules, love incentives, scoring sheets, grid budgets and grid reports."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
