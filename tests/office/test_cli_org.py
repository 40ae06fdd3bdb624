"""``passbook org`` on books opened with ``passbook init``: the README's "Start real books"
steps, and every refusal a clear exit 1 that changes nothing."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
from cli import main
from tests.api.helpers import scalar


async def passbook(database_url: str, *args: str) -> Result:
    command = [*args, "--database-url", database_url]
    return await asyncio.to_thread(CliRunner().invoke, main, command)


async def test_the_start_real_books_steps(database_url: str, engine: AsyncEngine) -> None:
    async def run(*args: str) -> Result:
        result = await passbook(database_url, *args)
        assert result.exit_code == 0, result.output
        return result

    await run("init", "--street", "lixia", "--name", "历下街道")
    await run("org", "add", "--kind", "community", "--parent", "lixia", "--code", "quancheng", "--name", "泉城社区")  # fmt: skip
    for n in (1, 2):
        added = await run("org", "add", "--kind", "grid", "--parent", "quancheng", "--code", f"qc-g{n}", "--name", f"泉城第{n}网格")  # fmt: skip
        assert f"Added grid qc-g{n}" in added.stdout
    again = await run("org", "add", "--kind", "grid", "--parent", "quancheng", "--code", "qc-g1", "--name", "泉城第1网格")  # fmt: skip
    assert "Already there, unchanged" in again.stdout
    token = await run("token", "create", "--role", "admin", "--scope", "quancheng", "--label", "泉城社区 staff")  # fmt: skip
    assert token.stdout.startswith("pb_")

    tree = await run("org", "list")
    assert tree.stdout.splitlines() == [
        "lixia  street  历下街道  0 active volunteer(s)",
        "  quancheng  community  泉城社区  0 active volunteer(s)",
        "    qc-g1  grid  泉城第1网格  0 active volunteer(s)",
        "    qc-g2  grid  泉城第2网格  0 active volunteer(s)",
    ]
    renamed = await run("org", "rename", "qc-g2", "泉城第二网格")
    assert "qc-g2  grid  泉城第二网格" in renamed.stdout
    accounts = await scalar(engine, "SELECT count(*) FROM ledger_account WHERE kind = 'issuance'")
    assert accounts == 4


async def test_closing_from_the_command_line_says_what_is_left(
    database_url: str, engine: AsyncEngine
) -> None:
    for args in [
        "init --street lixia --name 历下街道",
        "org add --kind community --parent lixia --code qc --name 泉城社区",
        "org add --kind grid --parent qc --code qc-g1 --name 一网格",
    ]:
        assert (await passbook(database_url, *args.split())).exit_code == 0

    async def enrol(conn: AsyncConnection) -> None:
        await community.register_volunteer(
            conn, passbook_number="QC1-0001", name="王大妈", grid_code="qc-g1"
        )

    await db.run_in_transaction(engine, enrol)

    community_refused = await passbook(database_url, "org", "close", "qc")
    assert community_refused.exit_code == 1
    assert "1 active volunteer(s)" in community_refused.output
    assert "1 open unit(s) under it (qc-g1)" in community_refused.output
    grid_refused = await passbook(database_url, "org", "close", "qc-g1")
    assert grid_refused.exit_code == 1
    assert "1 active volunteer(s)" in grid_refused.output
    assert await scalar(engine, "SELECT count(*) FROM org_unit WHERE closed_at IS NOT NULL") == 0

    street = await passbook(database_url, "org", "close", "lixia")
    assert street.exit_code == 1
    assert "never closed" in street.output
    added = await passbook(database_url, "org", "add", "--kind", "grid", "--parent", "qc", "--code", "qc-g2", "--name", "二网格")  # fmt: skip
    assert added.exit_code == 0
    closed = await passbook(database_url, "org", "close", "qc-g2")
    assert closed.exit_code == 0, closed.output
    assert "CLOSED" in closed.stdout
    assert "by cli:operator" in closed.stdout
    wrong_parent = await passbook(database_url, "org", "add", "--kind", "grid", "--parent", "lixia", "--code", "x", "--name", "x")  # fmt: skip
    assert wrong_parent.exit_code == 1
    assert "is not one" in wrong_parent.output
