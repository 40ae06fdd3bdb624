"""Org units, volunteers, council members and volunteer sign-in."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
