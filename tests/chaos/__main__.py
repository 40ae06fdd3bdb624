"""``python -m tests.chaos [--short] [--database sqlite|postgresql] [--seed N]
[--restart-database] [--canary SAFEGUARD]``: run the bank test with faults and print its figures.

Exit status: 0 when no anomaly was found, 1 when one was, 2 when the harness itself failed
(the service did not start, a timeout of the whole run, ...). With ``--canary`` the service
runs with that safeguard removed (see ``db/_canary.py``) and the meaning of 0 and 1 turns
round: the run passes only if the checks report the damage done.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback

import db
from tests.chaos._run import Plan, make_workdir, report, run
from tests.chaos._world import DEFAULT_SERVER_URL

SHORT_OPS, LONG_OPS = 2_000, 20_000
SHORT_KILLS, LONG_KILLS = 1, 3
# The load stops at this point even if not every operation was sent; the whole run is cut
# off at the second figure (the scratch database and the subprocess are still cleaned up).
SHORT_SECONDS, LONG_SECONDS = (75.0, 240.0), (900.0, 1500.0)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.chaos",
        description="The bank test with faults: the real service under load, killed and "
        "restarted, then the books checked against every answer the clients got.",
    )
    parser.add_argument("--short", action="store_true", help="about 2,000 operations, 1 kill")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("PASSBOOK_TEST_DATABASE_URL") or DEFAULT_SERVER_URL,
        help="PostgreSQL server to make the scratch database on (default: "
        "PASSBOOK_TEST_DATABASE_URL or %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--ops", type=int, default=None, help="override the operation count")
    parser.add_argument(
        "--restart-database",
        action="store_true",
        help="long run on PostgreSQL only: also restart the database server once in immediate "
        "mode (this cuts every other client of that server: do not use on a shared machine)",
    )
    parser.add_argument(
        "--canary",
        choices=["stock"],
        help="run the service with the conditional stock update removed (db/_canary.py); "
        "the run passes only if the checks find rewards sold past their stock",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database and the logs"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    long_run = not args.short
    if args.restart_database and (not long_run or args.database != "postgresql"):
        print("--restart-database is for the long run on PostgreSQL only", file=sys.stderr)
        return 2
    if args.canary:
        if args.database != "postgresql":
            print("--canary needs PostgreSQL: SQLite runs writes one at a time", file=sys.stderr)
            return 2
        os.environ[db.CANARY_VARIABLE] = args.canary  # the service subprocess inherits it
    plan = Plan(
        database=args.database,
        long_run=long_run,
        ops=args.ops or (LONG_OPS if long_run else SHORT_OPS),
        kills=LONG_KILLS if long_run else SHORT_KILLS,
        restart_database=args.restart_database,
        clients=args.clients,
        seed=args.seed,
        load_seconds=(LONG_SECONDS if long_run else SHORT_SECONDS)[0],
    )
    whole_run = (LONG_SECONDS if long_run else SHORT_SECONDS)[1]
    workdir = make_workdir()
    try:
        outcome = asyncio.run(
            asyncio.wait_for(
                run(plan, server_url=args.server_url, keep=args.keep, workdir=workdir), whole_run
            )
        )
    except Exception:
        traceback.print_exc()
        print(f"the harness failed; logs are in {workdir}", file=sys.stderr)
        return 2
    report(plan, outcome, keep=args.keep)
    if args.canary:
        oversold = [line for line in outcome.anomalies if line.startswith("reward ")]
        print(
            f"  canary                '{args.canary}' removed: "
            + (
                f"the checks saw {len(oversold)} rewards oversold, as they must"
                if oversold
                else "the checks saw NO oversold reward: this harness can no longer find it"
            )
        )
        return 0 if oversold else 1
    return 1 if outcome.anomalies else 0


if __name__ == "__main__":
    sys.exit(main())
