"""What the council's commands share: running a use case as a named council member.

The command line acts with database access, so it names the council member who acts and runs
the use cases (:mod:`council.services`) as that member; the books record ``cli:<code>``, and
four eyes compare members, so two commands by two members are two people. A domain refusal
is a clear exit 1 that lists the lines it names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

import community
import council
import db
from access import Principal, Role
from cli.options import settings_for

T = TypeVar("T")


def run_council(database_url: str | None, work: Callable[[db.Transactions], Awaitable[T]]) -> T:
    """Run ``work`` on the database, turning domain errors into a clear exit 1."""

    async def run() -> T:
        engine = db.create_engine(settings_for(database_url).database_url)
        try:
            return await work(db.Transactions(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except db.DomainError as error:
        message = str(error)
        for line in error.figures.get("lines", []):
            message += f"\n  line {line['line']} ({line['passbook_number']}): {line['problem']}"
        raise click.ClickException(message) from error


async def member_principal(conn: db.Connection, code: str) -> Principal:
    """The council member ``code`` as the one who acts (the books record ``cli:<code>``)."""
    member = await community.find_council_member(conn, code)
    if member is None or not member.active:
        raise council.NotYourGrid(f"No serving council member with code {code!r}.")
    return Principal(
        token_id=0,
        role=Role.COUNCIL,
        scope=member.grid_path,
        label=code,
        member_id=member.id,
        recorded_as=f"cli:{code}",
    )
