"""The ``passbook`` command against this test's database.

The commands call ``asyncio.run`` themselves, so each one runs in a worker thread, out of the
test's event loop."""

from __future__ import annotations

import asyncio
import re

import pytest
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from cli import main
from seeds import DEMO_PIN
from tests.api.conftest import ADMIN
from tests.api.helpers import (
    assert_problem,
    bearer,
    entry_count,
    scalar,
    statement_lines,
    tamper,
    verify,
)

Client = AsyncTestClient  # type: ignore[type-arg]


async def passbook(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_verify_passes_on_the_demo(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    counts = [
        await scalar(demo_engine, f"SELECT count(*) FROM {table}")
        for table in ("ledger_entry", "ledger_posting", "ledger_account", "ledger_hold")
    ]
    result = await passbook("verify", "--database-url", database_url)
    assert result.exit_code == 0, result.output
    entries, postings, accounts, holds = counts
    assert (
        f"Checked {entries} entries, {postings} postings, {accounts} accounts, {holds} holds."
        in result.stdout
    )
    assert f"Books digest {(await verify(client))['digest']}" in result.stdout
    assert result.stderr == ""


async def test_verify_names_the_first_broken_entry(
    client: Client, demo_engine: AsyncEngine, database_url: str, db_kind: db.Dialect
) -> None:
    cleanup = (await statement_lines(client, "YZS3-0001"))[1]["entry_id"]
    await tamper(
        demo_engine,
        db_kind,
        "ledger_posting",
        "amount = amount + 5",
        "entry_id = :entry AND amount > 0",
        entry=cleanup,
    )

    result = await passbook("verify", "--database-url", database_url)
    assert result.exit_code == 1, result.output
    assert "BROKEN" in result.stderr
    assert f"First broken entry: {cleanup}\n" in result.stderr
    assert "OK:" not in result.stdout


async def test_loading_the_demo_again_changes_nothing(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    entries = await entry_count(client)
    digest = (await verify(client))["digest"]
    tokens = await scalar(demo_engine, "SELECT count(*) FROM api_token")

    for _ in range(2):
        result = await passbook("demo", "--database-url", database_url)
        assert result.exit_code == 0, result.output
        assert "Demo data loaded." in result.stdout

    assert await entry_count(client) == entries
    assert (await verify(client))["digest"] == digest
    assert await scalar(demo_engine, "SELECT count(*) FROM api_token") == tokens


async def test_the_loaded_demo_lets_its_volunteer_sign_in_and_loading_again_keeps_the_pin(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    number, pin = DEMO_PIN
    assert (
        await client.post("/api/sign-in", json={"passbook_number": number, "pin": pin})
    ).status_code == 401  # the data set alone sets no PIN
    assert (await passbook("demo", "--database-url", database_url)).exit_code == 0
    stored = await scalar(
        demo_engine, f"SELECT pin_hash FROM volunteer WHERE passbook_number = '{number}'"
    )
    signed = await client.post("/api/sign-in", json={"passbook_number": number, "pin": pin})
    assert signed.status_code == 200, signed.text
    assert (await passbook("demo", "--database-url", database_url)).exit_code == 0
    assert (
        await scalar(
            demo_engine, f"SELECT pin_hash FROM volunteer WHERE passbook_number = '{number}'"
        )
        == stored
    )


async def test_token_create_prints_a_working_token(client: Client, database_url: str) -> None:
    result = await passbook(
        "token", "create", "--database-url", database_url,
        "--role", "council", "--scope", "yzs-g2-a", "--label", "张 (council g2)", "--days", "30",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert re.fullmatch(r"pb_[A-Za-z0-9_-]{40,}", raw), result.stdout

    me = await client.get("/api/me", headers=bearer(raw))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "role": "council",
        "scope": "yanshan/yanzishan/yzs-g2",
        "label": "张 (council g2)",
    }
    assert (await client.get("/api/passbooks/YZS2-0001", headers=bearer(raw))).status_code == 200
    assert_problem(await client.get("/api/passbooks/YZS1-0001", headers=bearer(raw)), 403)

    result = await passbook(
        "token", "create", "--database-url", database_url,
        "--role", "volunteer", "--scope", "YZS2-0001", "--label", "张桂英",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    me = await client.get("/api/me", headers=bearer(result.stdout.strip()))
    assert me.json()["scope"] == "YZS2-0001"


BAD_TOKEN_REQUESTS = [
    (["--role", "admin", "--scope", "nowhere"], 1, "No org unit with code 'nowhere'"),
    (["--role", "council", "--scope", "yzs-g2"], 1, "No council member with code 'yzs-g2'"),
    (["--role", "auditor", "--scope", "YZS1-0001"], 1, "No org unit with code 'YZS1-0001'"),
    (["--role", "volunteer", "--scope", "YZS9-9999"], 1, "No passbook numbered 'YZS9-9999'"),
    (["--role", "merchant", "--scope", "Corner Shop"], 1, "must be lower-case letters"),
    (["--role", "merchant", "--scope", "nosuch"], 1, "No merchant with code 'nosuch'"),
    (["--role", "mayor", "--scope", "yanshan"], 2, "Invalid value for '--role'"),
    (["--role", "admin", "--scope", "yanshan", "--days", "0"], 2, "Invalid value for '--days'"),
]


async def test_token_create_refuses_a_bad_request(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    tokens = await scalar(demo_engine, "SELECT count(*) FROM api_token")
    for args, exit_code, message in BAD_TOKEN_REQUESTS:
        result = await passbook(
            "token", "create", "--database-url", database_url, "--label", "someone", *args
        )
        assert result.exit_code == exit_code, (args, result.output)
        assert "Error:" in result.stderr, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
        assert result.stdout == "", args
    assert await scalar(demo_engine, "SELECT count(*) FROM api_token") == tokens
    assert (await client.get("/api/me", headers=ADMIN)).status_code == 200


async def test_token_list_and_revoke(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    made = await passbook(
        "token", "create", "--database-url", database_url,
        "--role", "merchant", "--scope", "carwash", "--label", "洗车行扫码枪",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    raw = made.stdout.strip()
    token_id = await scalar(demo_engine, "SELECT max(id) FROM api_token")

    listed = await passbook("token", "list", "--database-url", database_url, "--role", "merchant")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.stdout.splitlines()
    assert header.split("\t")[:5] == ["id", "role", "scope", "label", "state"]
    mine = next(r.split("\t") for r in rows if r.startswith(f"{token_id}\t"))
    assert mine[1:5] == ["merchant", "carwash", "洗车行扫码枪", "active"]
    assert (mine[6], mine[7], mine[9]) == ("cli:operator", "-", "-")  # by, last used, revoked
    assert all(r.split("\t")[1] == "merchant" for r in rows)
    digest = await scalar(
        demo_engine, "SELECT token_hash FROM api_token WHERE id = :id", id=token_id
    )
    assert digest not in listed.stdout

    revoked = await passbook("token", "revoke", "--database-url", database_url, str(token_id))
    assert revoked.exit_code == 0, revoked.output
    assert f"Token {token_id} (merchant, 洗车行扫码枪) revoked." in revoked.stdout
    assert_problem(await client.get("/api/me", headers=bearer(raw)), 401)
    again = await passbook("token", "revoke", "--database-url", database_url, str(token_id))
    assert again.exit_code == 0, again.output
    assert "was already revoked" in again.stdout
    assert "by cli:operator; nothing changed." in again.stdout

    live = await passbook("token", "list", "--database-url", database_url, "--scope", "carwash")
    assert not any(r.startswith(f"{token_id}\t") for r in live.stdout.splitlines())
    every = await passbook(
        "token", "list", "--database-url", database_url, "--scope", "carwash", "--all"
    )
    gone = next(r.split("\t") for r in every.stdout.splitlines() if r.startswith(f"{token_id}\t"))
    assert gone[4] == "revoked"
    assert gone[9].endswith("by cli:operator")

    missing = await passbook("token", "revoke", "--database-url", database_url, "999999")
    assert missing.exit_code == 1
    assert "No credential has id 999999" in missing.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/passbook", "unsupported database 'mysql'"),
        ("not a database url", "Could not parse"),
    ],
)
def test_an_unsupported_database_url_is_refused_clearly(url: str, message: str) -> None:
    for command in (["verify"], ["demo"], ["migrate"]):
        result = CliRunner().invoke(main, [*command, "--database-url", url])
        assert result.exit_code == 2, result.output
        assert "Invalid value for '--database-url'" in result.stderr
        assert message in result.stderr
