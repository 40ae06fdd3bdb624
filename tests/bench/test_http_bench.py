"""The HTTP benchmark's pieces, run for real at a tiny size: a street loaded through the use
cases, the bare app and ``passbook serve`` each in a process of their own, the load driver in
a third, every scenario driven for about a second at 4 connections. It asserts outcomes, never
speed: every request answered 2xx, every scenario did work, the consumes scanned vouchers the
redemptions made, and the books verify afterwards."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import ledger
from bench._driver import SCENARIOS
from bench._http_client import Connection, request_bytes
from bench._service import serve_bare
from bench._street import TOKENS_PER_MERCHANT, load_street, note_tokens_used
from bench.http import _bare_dsn, measure


async def test_every_scenario_runs_without_errors_and_the_books_verify(
    database_url: str, engine: AsyncEngine
) -> None:
    street = await load_street(engine, grids=2, volunteers=40, sheets=30)
    assert len(street.volunteers) == 40
    assert len(street.sheets) == 30
    assert all(len(tokens) == TOKENS_PER_MERCHANT for tokens in street.merchants)
    await note_tokens_used(engine, street)
    await engine.dispose()  # the service and the bare app open their own

    lines: list[str] = []
    measured = await measure(
        database_url,
        database_url,
        street,
        workers=1,
        connections=4,
        seconds=1,
        warm_seconds=0.2,
        out=lines.append,
    )

    for figure in [measured.ping, measured.bare, *measured.service]:
        assert figure.errors == 0, (figure.scenario, figure.kind, figure.first_error)
    assert measured.ping.ok > 0
    assert measured.bare.ok > 0
    done = {f.scenario: f.ok for f in measured.service if f.scenario == f.kind}
    assert set(done) == set(SCENARIOS) - {"mix"}
    assert all(n > 0 for n in done.values()), done
    assert done["consume"] <= done["redeem"]  # only vouchers the redemptions made
    assert {f.kind for f in measured.service if f.scenario == "mix"} >= {"balance"}
    assert measured.memory
    assert all(m > 0 for m in measured.memory)

    async with db.read_transaction(engine) as conn:
        report = await ledger.verify_books(conn)
        approved = await conn.scalar(
            text("SELECT count(*) FROM scoring_sheet WHERE status = 'approved'")
        )
    assert report.ok, report.problems[:3]
    assert approved is not None
    assert approved >= 2 + done["approve"]  # the openings too

    # The yardstick does the balance read's checks too: a bad token, another's passbook.
    (number, token), (other, _other_token) = street.volunteers[:2]
    async with serve_bare(_bare_dsn(database_url), workers=1) as bare:
        connection = Connection(bare.port)
        try:
            asked = {
                "own": (number, token),
                "unknown token": (number, "pb_nobody"),
                "another's": (other, token),
            }
            statuses = {
                name: (
                    await connection.send(
                        request_bytes(
                            "GET", f"/api/passbooks/{n}", headers={"Authorization": f"Bearer {t}"}
                        )
                    )
                )[0]
                for name, (n, t) in asked.items()
            }
        finally:
            connection.close()
    assert statuses == {"own": 200, "unknown token": 401, "another's": 403}
