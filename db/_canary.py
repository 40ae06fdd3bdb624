"""The canary switch: a test-only way to take one safeguard out, to prove the tests see it go.

Invariant protected here: in normal running nothing is switched off. ``PASSBOOK_CANARY`` is read
here and nowhere else; it names the safeguards to remove, comma-separated:

* ``stock``: stock, monthly quota and a volunteer's limit are taken by reading the count and
  writing back count + n, instead of one conditional ``UPDATE ... WHERE used + n <= cap``. Two
  redemptions at once can then both read the same count and sell one unit twice (a lost
  update; the ``used <= total`` check still holds, so only the tests can see it).
* ``row-lock``: approving a sheet no longer locks its volunteers' rows, so two sheets approved
  at once can each pass the daily cap or pay the same milestone.

On SQLite neither can show: its write transactions run one at a time (``BEGIN IMMEDIATE``).
The race tests, the model test and the bank test in ``tests/chaos`` must fail on PostgreSQL
with the canary on; ``tests/test_canary.py`` and ``.ci/run`` check that they do.
"""

from __future__ import annotations

import os

CANARY_VARIABLE = "PASSBOOK_CANARY"
SAFEGUARDS = frozenset({"stock", "row-lock"})
RACE_WINDOW_SECONDS = 0.01
"""How long a removed safeguard waits between its read and its write: the lost update must
show in every run of the race tests, not only when the scheduler happens to interleave
(a redemption of 12 statements left it too narrow to be seen every time)."""


def safeguard_removed(name: str) -> bool:
    """Whether the tests have switched off the safeguard ``name`` (one of :data:`SAFEGUARDS`)."""
    assert name in SAFEGUARDS, name
    removed = {part.strip() for part in os.environ.get(CANARY_VARIABLE, "").split(",")} - {""}
    if unknown := removed - SAFEGUARDS:
        raise ValueError(
            f"{CANARY_VARIABLE} names {', '.join(sorted(unknown))}; it takes "
            f"{' or '.join(sorted(SAFEGUARDS))}, comma-separated, or nothing."
        )
    return name in removed
