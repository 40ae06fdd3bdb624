"""``passbook volunteer``: the grid worker's unlock of a volunteer's sign-in wait.

The command line holds the database itself, so it acts as the operator (recorded as
``cli:operator``) with the rights of an admin of the volunteer's street, and runs the same use
case as ``POST /api/volunteers/{number}/sign-in-wait/clear``; the PIN is not changed.
"""

from __future__ import annotations

import click

import community
import db
from access import Principal, Role
from cli.options import database_option, run_use_case
from community import services
from community.services import OPERATOR


@click.group()
def volunteer() -> None:
    """Volunteers: clear a sign-in wait after wrong PINs."""


@volunteer.command("clear-wait")
@database_option
@click.argument("number")
def volunteer_clear_wait(database_url: str | None, number: str) -> None:
    """Clear the count of wrong PINs for passbook NUMBER and the wait it brought, so the
    volunteer can sign in at once (the PIN stays as it is)."""

    async def work(tx: db.Transactions) -> community.Volunteer:
        found = await tx.read(community.get_volunteer, number)
        street = Principal(
            token_id=0,
            role=Role.ADMIN,
            scope=found.grid_path.split("/")[0],
            label="operator",
            recorded_as=OPERATOR.recorded_as,
        )
        return await tx.write(services.clear_sign_in_wait, street, number=number)

    cleared = run_use_case(database_url, work)
    click.echo(f"{cleared.passbook_number} ({cleared.name}): sign-in wait cleared")
