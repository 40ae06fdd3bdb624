"""The HTTP endpoints, one module per area. Thin: read the request, call the domain in one
transaction, answer."""

from __future__ import annotations

from typing import Any

from api.routes import (
    ballots,
    books,
    checkpoints,
    council,
    council_reports,
    grants,
    merchants,
    metrics,
    org_units,
    printed,
    registry,
    rewards,
    roster,
    sheets,
    sign_in,
    sign_in_codes,
    takebacks,
    tokens,
    vouchers,
)
from api.routes._common import DEPENDENCIES

ROUTES: list[Any] = [
    *books.ROUTES,
    *checkpoints.ROUTES,
    *registry.ROUTES,
    *sign_in.ROUTES,
    *sign_in_codes.ROUTES,
    *org_units.ROUTES,
    *tokens.ROUTES,
    *roster.ROUTES,
    *council.ROUTES,
    *sheets.ROUTES,
    *grants.ROUTES,
    *takebacks.ROUTES,
    *council_reports.ROUTES,
    *merchants.ROUTES,
    *rewards.ROUTES,
    *vouchers.ROUTES,
    *ballots.ROUTES,
    *printed.ROUTES,
    *metrics.ROUTES,
]

__all__ = ["DEPENDENCIES", "ROUTES"]
