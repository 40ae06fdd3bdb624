"""The draw as a pure function: deterministic, ties by the seeded lottery, and a weighted
lottery that favours points in proportion; the tickets it is drawn over are random."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

import rewards
from rewards import BallotRule, draw_order

SEED = "00" * 31 + "2a"


def test_the_commitment_is_the_seeds_sha256() -> None:
    assert rewards.commitment_of(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()


def test_tickets_are_random_characters_of_the_voucher_alphabet() -> None:
    tickets = [rewards.new_ticket() for _ in range(2000)]
    assert len(set(tickets)) == len(tickets)
    assert all(len(t) == 12 and rewards.is_ticket(t) for t in tickets)
    assert set("".join(tickets)) == set(rewards.ALPHABET)  # every character is drawn
    assert not rewards.is_ticket(hashlib.sha256(b"b1:YZS1-0001").hexdigest()[:12])


def test_points_rank_puts_more_points_first_and_breaks_ties_by_key() -> None:
    applicants = [("aaa", 10), ("bbb", 30), ("ccc", 10), ("ddd", 20)]
    order = draw_order(SEED, BallotRule.POINTS_RANK, applicants)
    assert [d.points for d in order] == [30, 20, 10, 10]
    tied = [d for d in order if d.points == 10]
    assert int(tied[0].key, 16) < int(tied[1].key, 16)
    assert [d.rank for d in order] == [1, 2, 3, 4]
    assert all(d.score is None for d in order)
    # the order does not depend on the order the applicants are given in
    assert draw_order(SEED, BallotRule.POINTS_RANK, reversed(applicants)) == order


def test_a_weighted_lottery_favours_points_in_proportion() -> None:
    """Over many seeds, an applicant with 3 of 4 points comes first about 3 times in 4."""
    firsts: Counter[str] = Counter()
    for n in range(4000):
        seed = hashlib.sha256(str(n).encode()).hexdigest()
        order = draw_order(seed, BallotRule.WEIGHTED_LOTTERY, [("heavy", 300), ("light", 100)])
        firsts[order[0].pseudonym] += 1
    assert 2850 <= firsts["heavy"] <= 3150, firsts


def test_a_weighted_lottery_needs_a_point_to_weigh() -> None:
    with pytest.raises(ValueError, match="at least 1 point"):
        draw_order(SEED, BallotRule.WEIGHTED_LOTTERY, [("nobody", 0)])
