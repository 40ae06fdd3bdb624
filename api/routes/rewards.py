"""The rewards catalog, redemptions, vouchers, merchant scanning and settlement, ballots."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
