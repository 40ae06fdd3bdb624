"""The race tests can still see a race: with a safeguard switched off they must fail.

Each case runs a few race tests in a child pytest with ``PASSBOOK_CANARY`` set (see
:mod:`db._canary`) and asserts that exactly the tests guarding that safeguard fail, on an
assertion about what was sold or paid, not on a crash of the harness. If a race test is
weakened until it can no longer see an oversell or a lost update, this test fails the build.

The bank test in ``tests/chaos`` gets the same check from ``.ci/run``, with ``--canary``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import db

ROOT = Path(__file__).resolve().parent.parent

RACES = "tests/api/test_rewards_races.py"
CAPS = "tests/api/test_sheet_corrections.py"

CASES = {
    "stock": {
        f"{RACES}::test_200_concurrent_redemptions_of_a_stock_of_10_give_exactly_10",
        f"{RACES}::test_a_limit_of_2_under_50_concurrent_attempts_gives_exactly_2",
    },
    "row-lock": {
        f"{CAPS}::test_concurrent_approvals_never_pass_the_daily_cap",
        f"{CAPS}::test_concurrent_approvals_pay_a_milestone_once",
    },
}


def _run_with_canary(safeguard: str, tests: set[str], report: Path) -> dict[str, str]:
    """Run ``tests`` in a child pytest with ``safeguard`` removed; each test's outcome."""
    env = {**os.environ, db.CANARY_VARIABLE: safeguard}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += [f"--junitxml={report}", *sorted(tests)]
    # our own interpreter running our own tests: no untrusted input
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    assert finished.returncode in (0, 1), finished.stdout[-3000:] + finished.stderr[-3000:]
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314 (the child's own report)
        path = case.get("classname", "").replace(".", "/") + ".py"
        name = f"{path}::{case.get('name')}"
        failure = case.find("failure")
        if case.find("error") is not None or case.find("skipped") is not None:
            outcomes[name] = "error or skipped"
        elif failure is not None:
            # the traceback's last line names the exception's type and where it was raised
            outcomes[name] = "failed at " + (failure.text or "").strip().splitlines()[-1]
        else:
            outcomes[name] = "passed"
    return outcomes


@pytest.mark.parametrize("safeguard", sorted(CASES))
def test_race_tests_fail_with_a_safeguard_removed(
    safeguard: str, db_kind: db.Dialect, tmp_path: Path
) -> None:
    if db_kind is db.Dialect.SQLITE:
        pytest.skip(
            "SQLite runs write transactions one at a time (BEGIN IMMEDIATE), so no removed "
            "row lock or conditional update can lose an update there; the PostgreSQL run checks"
        )
    outcomes = _run_with_canary(safeguard, CASES[safeguard], tmp_path / "report.xml")
    assert set(outcomes) == CASES[safeguard], outcomes
    for test, outcome in outcomes.items():
        assert outcome.startswith("failed at tests/api/"), (test, outcome)
        assert outcome.endswith(": AssertionError"), (test, outcome)


def test_an_unknown_safeguard_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db.CANARY_VARIABLE, "stock,stok")
    with pytest.raises(ValueError, match="names stok; it takes row-lock or stock"):
        db.safeguard_removed("stock")
    monkeypatch.setenv(db.CANARY_VARIABLE, "")
    assert db.safeguard_removed("stock") is False
    monkeypatch.setenv(db.CANARY_VARIABLE, " row-lock ")
    assert db.safeguard_removed("row-lock") is True
    assert db.safeguard_removed("stock") is False
