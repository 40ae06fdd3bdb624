"""Opening real books (``passbook init``) and keeping the demo a demo, on an empty database.

What it protects: init on empty books makes the street (with its issuance account), the books
row and an admin token that works over the street, printed once; init on books that hold
anything is refused and writes nothing; two inits at once open the books once; the demo is
never loaded into real books nor into books holding other org units, and real books refuse
a demo token even when its row is there; ``passbook serve`` loads the demo only on the
default database file or when told to.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import access
import community
import db
import ledger
import office
from access import Role
from api.app import create_app
from cli import main
from cli.books import demo_wanted
from community.services import OPERATOR
from config import DEFAULT_DATABASE_URL, Settings
from seeds import DemoRefused, load_demo
from tests.api.helpers import assert_problem, bearer, scalar

TABLES = ("books", "org_unit", "volunteer", "api_token", "ledger_entry", "ledger_account")
TOKEN = re.compile(r"^    (pb_[A-Za-z0-9_-]{40,})$", re.MULTILINE)


async def passbook(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def counts(engine: AsyncEngine) -> dict[str, int]:
    return {t: await scalar(engine, f"SELECT count(*) FROM {t}") for t in TABLES}


async def init(database_url: str, street: str = "yanshan", name: str = "燕山街道") -> Result:
    return await passbook(
        "init", "--database-url", database_url, "--street", street, "--name", name
    )


async def me(database_url: str, token: str) -> Any:
    async with AsyncTestClient(app=create_app(Settings(database_url=database_url))) as client:
        return await client.get("/api/me", headers=bearer(token))


async def test_init_opens_empty_books_with_a_working_admin_token(
    database_url: str, engine: AsyncEngine
) -> None:
    result = await init(database_url)
    assert result.exit_code == 0, result.output
    assert "Books opened for 燕山街道 (yanshan)." in result.stdout
    assert "passbook org add" in result.stdout
    assert "shown only now" in result.stdout
    (token,) = TOKEN.findall(result.stdout)

    answer = await me(database_url, token)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "role": "admin",
        "scope": "yanshan",
        "label": office.FIRST_ADMIN_LABEL,
    }
    assert await counts(engine) == {
        "books": 1, "org_unit": 1, "volunteer": 0, "api_token": 1, "ledger_entry": 0,
        "ledger_account": 1,
    }  # fmt: skip
    async with db.read_transaction(engine) as conn:
        assert await community.books_kind(conn) == "real"
        street = await community.get_org_unit(conn, "yanshan")
        issuance = await ledger.find_account(conn, kind="issuance", owner_ref="org:yanshan")
    assert (street.kind, street.name, street.path) == ("street", "燕山街道", "yanshan")
    assert issuance is not None
    assert street.issuance_account_id == issuance
    row = await scalar(engine, "SELECT opened_by FROM books WHERE street_id = :id", id=street.id)
    assert row == "cli:operator"


async def _an_org_unit(conn: AsyncConnection) -> None:
    await community.add_org_unit(conn, code="elsewhere", name="别处街道", kind="street")


async def _a_merchant_token(conn: AsyncConnection) -> None:
    await access.create_token(conn, role=Role.MERCHANT, scope="market", label="scanner")


async def _a_ledger_entry(conn: AsyncConnection) -> None:
    a = await ledger.open_account(conn, kind="test", owner_ref="a", allow_negative=True)
    b = await ledger.open_account(conn, kind="test", owner_ref="b")
    await ledger.post_entry(
        conn, idempotency_key="k", kind="test", legs=[ledger.Leg(a, -1), ledger.Leg(b, 1)],
        actor="test", memo="one point", effective_date=date(2026, 11, 1),
    )  # fmt: skip


async def _opened_books(conn: AsyncConnection) -> None:
    await office.open_books(conn, OPERATOR, street_code="first", street_name="先来的街道")


@pytest.mark.parametrize(
    ("held", "said"),
    [
        (_an_org_unit, "1 org unit(s)"),
        (_a_merchant_token, "1 token(s)"),
        (_a_ledger_entry, "1 ledger entry(ies)"),
        (_opened_books, "were opened already and hold data (1 org unit(s), 1 token(s))"),
    ],
    ids=["org unit", "token", "ledger entry", "books opened"],
)
async def test_init_is_refused_on_books_that_hold_data_and_writes_nothing(
    database_url: str, engine: AsyncEngine, held: Any, said: str
) -> None:
    await db.run_in_transaction(engine, held)
    before = await counts(engine)

    result = await init(database_url)

    assert result.exit_code == 1, result.output
    assert "hold data" in result.output
    assert said in result.output
    assert "wrote nothing" in result.output
    assert await counts(engine) == before
    assert not TOKEN.findall(result.stdout)


async def test_init_refuses_a_bad_street_code_and_writes_nothing(
    database_url: str, engine: AsyncEngine
) -> None:
    result = await init(database_url, street="Yan Shan")
    assert result.exit_code == 1, result.output
    assert "lower-case letters" in result.output
    assert await counts(engine) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("codes", [("north", "south"), ("same", "same")], ids=["two", "one"])
async def test_two_inits_at_once_open_the_books_once(
    engine: AsyncEngine, codes: tuple[str, str]
) -> None:
    tx = db.Transactions(engine)
    results = await asyncio.gather(
        *(tx.write(office.open_books, OPERATOR, street_code=c, street_name="街道") for c in codes),
        return_exceptions=True,
    )
    opened = [r for r in results if isinstance(r, office.OpenedBooks)]
    refused = [r for r in results if isinstance(r, office.BooksNotEmpty)]
    assert (len(opened), len(refused)) == (1, 1), results
    assert await counts(engine) == {
        "books": 1, "org_unit": 1, "volunteer": 0, "api_token": 1, "ledger_entry": 0,
        "ledger_account": 1,
    }  # fmt: skip
    assert await scalar(engine, "SELECT code FROM org_unit") == opened[0].street.code


async def test_only_the_operator_opens_books(engine: AsyncEngine) -> None:
    admin = access.Principal(token_id=1, role=Role.ADMIN, scope="yanshan", label="admin")
    with pytest.raises(access.Forbidden):
        await db.Transactions(engine).write(
            office.open_books, admin, street_code="yanshan", street_name="燕山街道"
        )
    assert await counts(engine) == dict.fromkeys(TABLES, 0)


async def test_the_demo_is_never_loaded_into_real_books(
    database_url: str, engine: AsyncEngine
) -> None:
    assert (await init(database_url)).exit_code == 0
    before = await counts(engine)

    for command in (("demo",), ("serve", "--demo", "--no-migrate")):
        result = await passbook(*command, "--database-url", database_url)
        assert result.exit_code == 1, result.output
        assert "real books" in result.output, result.output
    with pytest.raises(DemoRefused, match="real books"):
        await load_demo(engine)
    assert await counts(engine) == before


async def test_the_demo_is_refused_by_books_holding_other_org_units(
    engine: AsyncEngine, database_url: str
) -> None:
    await db.run_in_transaction(engine, _an_org_unit)  # no books row: made before init existed
    before = await counts(engine)
    result = await passbook("demo", "--database-url", database_url)
    assert result.exit_code == 1, result.output
    assert "not the demo's (elsewhere)" in result.output
    assert await counts(engine) == before


async def test_the_demo_opens_demo_books_which_init_then_refuses(
    engine: AsyncEngine, database_url: str
) -> None:
    await load_demo(engine)
    loaded = await counts(engine)
    await load_demo(engine)  # again: nothing changes
    assert await counts(engine) == loaded
    async with db.read_transaction(engine) as conn:
        assert await community.books_kind(conn) == "demo"
    result = await init(database_url)
    assert result.exit_code == 1
    assert "were opened already" in result.output
    assert await counts(engine) == loaded


async def test_real_books_refuse_a_demo_token_even_with_its_row(
    database_url: str, engine: AsyncEngine
) -> None:
    assert (await init(database_url)).exit_code == 0

    async def tokens(conn: AsyncConnection) -> None:
        for raw in ("pb_demo_admin", "pb_not_a_demo_one"):
            await access.create_token(conn, role=Role.ADMIN, scope="yanshan", label=raw, raw=raw)

    await db.run_in_transaction(engine, tokens)

    assert_problem(await me(database_url, "pb_demo_admin"), 401, "not_authenticated")
    answer = await me(database_url, "pb_not_a_demo_one")
    assert answer.status_code == 200
    assert answer.json()["label"] == "pb_not_a_demo_one"


@pytest.mark.parametrize(
    ("demo", "url", "loads"),
    [
        (None, DEFAULT_DATABASE_URL, True),
        (None, "sqlite+aiosqlite:///office.db", False),
        (None, "postgresql+asyncpg://office@db/passbook", False),
        (True, "sqlite+aiosqlite:///office.db", True),
        (False, DEFAULT_DATABASE_URL, False),
    ],
)
def test_serve_loads_the_demo_only_on_the_default_file_or_when_told(
    demo: bool | None, url: str, loads: bool
) -> None:
    assert demo_wanted(demo, url) is loads
    assert DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///passbook.db"


async def test_an_earlier_demo_that_differs_is_refused_clearly(
    engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Books loaded by an earlier version of the demo, whose first opening balance was other
    than this version's: loading again is refused in words, writing nothing."""
    import seeds.demo

    first = seeds.demo.VOLUNTEERS[0]
    earlier = [dataclasses.replace(first, opening=first.opening + 1), *seeds.demo.VOLUNTEERS[1:]]
    monkeypatch.setattr(seeds.demo, "VOLUNTEERS", earlier)
    await load_demo(engine)
    monkeypatch.undo()
    loaded = await counts(engine)
    result = await passbook("demo", "--database-url", database_url)
    assert result.exit_code == 1, result.output
    assert "an earlier version of the demo" in result.output
    assert "Traceback" not in result.output
    assert await counts(engine) == loaded
