"""The states of a scoring sheet, and which of them count against a volunteer's daily cap.

Invariant: a sheet's status is one of :class:`SheetStatus` (the database refuses any other
value); the values are the words the database and the API have always used, so a member
compares and serialises as the plain string.
"""

from __future__ import annotations

import enum


class SheetStatus(enum.StrEnum):
    """Where a sheet stands: drafted, submitted for approval, approved (posted) or rejected."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


LIVE_STATES = (SheetStatus.SUBMITTED, SheetStatus.APPROVED)
"""The sheets whose units count against a volunteer's daily cap while a sheet is drafted or
submitted (an approval counts only the approved ones)."""

__all__ = ["LIVE_STATES", "SheetStatus"]
