"""What can be wrong with a grant's terms (points, date, reason), each said as a message
for people.

Invariant: one list of (term, problem) pairs serves a single proposal (whose refusal says them
all in the reader's language) and a batch (each bad row's ``problems``); an empty list means
the terms can be granted.
"""

from __future__ import annotations

from datetime import date

from community._grants import EARLIEST_DATE, MAX_GRANT_POINTS, MAX_REASON, GrantKind
from i18n import Message, _


def check_terms(
    kind: GrantKind, points: int, as_of: date, reason: str, today: date
) -> list[tuple[str, Message]]:
    """What is wrong with a grant's points, date and reason, as (term, what is wrong) pairs
    (nothing: an empty list)."""
    problems: list[tuple[str, Message]] = []
    if isinstance(points, bool) or not isinstance(points, int):
        problems.append(("points", _("points are a whole number; got {points!r}", points=points)))
    elif not 1 <= points <= MAX_GRANT_POINTS:
        problems.append(
            (
                "points",
                _(
                    "{points} points; a grant is 1 to {most} points",
                    points=points,
                    most=MAX_GRANT_POINTS,
                ),
            )
        )
    opening = kind is GrantKind.OPENING
    if as_of > today:
        problems.append(
            (
                "as_of",
                _(
                    "the paper passbook's date {as_of} is in the future (today is {today})",
                    as_of=as_of,
                    today=today,
                )
                if opening
                else _(
                    "the day served {as_of} is in the future (today is {today})",
                    as_of=as_of,
                    today=today,
                ),
            )
        )
    elif as_of < EARLIEST_DATE:
        problems.append(
            (
                "as_of",
                _(
                    "the paper passbook's date {as_of} is before {earliest}; check the year",
                    as_of=as_of,
                    earliest=EARLIEST_DATE,
                )
                if opening
                else _(
                    "the day served {as_of} is before {earliest}; check the year",
                    as_of=as_of,
                    earliest=EARLIEST_DATE,
                ),
            )
        )
    if kind is GrantKind.ADJUSTMENT and not reason:
        problems.append(
            ("reason", _("an adjustment says why: give a reason (what service, which activity)"))
        )
    if len(reason) > MAX_REASON:
        problems.append(
            (
                "reason",
                _(
                    "the reason is {length} characters; at most {most} fit",
                    length=len(reason),
                    most=MAX_REASON,
                ),
            )
        )
    return problems


__all__ = ["check_terms"]
