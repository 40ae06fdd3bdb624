"""The draw of a ballot as a pure function of public data: the revealed seed, the applicants'
pseudonyms and frozen points, and the rule. Anyone can recompute it (docs/ballots.md shows how).

Invariants protected here: the drawn order depends on nothing else (no clock, no database
order, no floating point), so the same inputs give the same order on every platform; the seed
cannot be chosen after the fact, because its SHA-256 (the commitment) was published when the
ballot opened, before any pseudonym existed; and no applicant can be favoured by the choice of
pseudonyms, which are random tickets (:mod:`rewards._ballot_tickets`) handed out at
application and published before the seed is revealed.

The algorithm (docs/ballots.md repeats it):

* ``commitment = sha256(seed).hexdigest()`` over the seed's 32 bytes; the seed is published as
  64 lower-case hex digits;
* each applicant's ``pseudonym`` is the ticket on the public page (12 random characters,
  unique within the ballot; nothing to compute);
* ``key = sha256(f"{seed_hex}:{pseudonym}".encode()).hexdigest()``, and ``k`` is that hex
  number as an integer (0 <= k < 2**256);
* ``points_rank``: ascending by ``(-points, k)``: more points first, ties by the smaller key;
* ``weighted_lottery`` (Efraimidis-Spirakis, as exponential clocks): with Python's
  ``decimal.Context(prec=60, rounding=ROUND_HALF_EVEN)``, ``u = ctx.divide(Decimal(k + 1),
  Decimal(2**256))`` and ``score = ctx.divide(ctx.minus(ctx.ln(u)), Decimal(points))``;
  ascending by ``(score, k)``. Each step is correctly rounded to 60 digits, so the score's
  text (``str(score)``) is the same everywhere. An applicant with weight ``w`` comes first
  with probability ``w / sum(weights)``, and so on down the list (sampling without
  replacement in proportion to points).
"""

from __future__ import annotations

import decimal
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from rewards._ballot_types import BallotRule

SCORE_DIGITS = 60
_SPACE = Decimal(2**256)


def new_seed() -> str:
    """A fresh secret seed: 32 bytes from ``secrets``, as 64 hex digits."""
    return secrets.token_bytes(32).hex()


def commitment_of(seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def lottery_key(seed_hex: str, pseudonym: str) -> str:
    return hashlib.sha256(f"{seed_hex}:{pseudonym}".encode()).hexdigest()


def weighted_score(key_hex: str, points: int) -> Decimal:
    """The applicant's exponential clock: smaller comes first."""
    if points < 1:
        raise ValueError("a weighted lottery weighs each applicant by at least 1 point")
    ctx = decimal.Context(prec=SCORE_DIGITS, rounding=decimal.ROUND_HALF_EVEN)
    u = ctx.divide(Decimal(int(key_hex, 16) + 1), _SPACE)
    return ctx.divide(ctx.minus(ctx.ln(u)), Decimal(points))


@dataclass(frozen=True, slots=True)
class Drawn:
    """One applicant's place in the drawn order."""

    rank: int
    pseudonym: str
    points: int
    key: str
    score: str | None
    """The weighted lottery's score as text; ``None`` under points_rank."""


def draw_order(
    seed_hex: str, rule: BallotRule, applicants: Iterable[tuple[str, int]]
) -> list[Drawn]:
    """The applicants ``(pseudonym, points)`` in drawn order, first place first."""
    rows: list[tuple[tuple[Decimal, int], str, int, str, str | None]] = []
    for pseudonym, points in applicants:
        key = lottery_key(seed_hex, pseudonym)
        k = int(key, 16)
        if rule is BallotRule.POINTS_RANK:
            rows.append(((Decimal(-points), k), pseudonym, points, key, None))
        else:
            score = weighted_score(key, points)
            rows.append(((score, k), pseudonym, points, key, str(score)))
    rows.sort(key=lambda row: row[0])
    return [
        Drawn(rank, pseudonym, points, key, score)
        for rank, (_, pseudonym, points, key, score) in enumerate(rows, start=1)
    ]
