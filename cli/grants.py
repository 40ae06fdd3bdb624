"""``passbook opening``, ``passbook adjustment`` and ``passbook grants``: opening balances
carried over from paper passbooks, and adjustments, from the command line.

Four eyes hold here as in the API: every command that proposes or decides names the person
acting (``--by NAME``), recorded as ``cli:<NAME>``, so two people at one keyboard are two
persons and the one who proposed a grant cannot confirm it. The command line holds the
database itself, so it acts as an admin over the whole street and runs the same use cases as
the API (:mod:`community.services.grants`).
"""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import select

import community
import db
from access import Principal, Role
from cli.options import database_option, run_use_case, settings_for
from community import services

MAX_NAME = 100

by_option = click.option(
    "--by", "by", required=True, help="Who is acting (your name): four eyes need two people."
)
date_option = click.option("--date", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]))
points_option = click.option("--points", required=True, type=click.IntRange(min=1))


async def staff_principal(conn: db.Connection, name: str | None) -> Principal:
    """An admin over the whole street, recorded as ``cli:<name>``: the books' street when they
    were opened, else the only street there is."""
    o, books = community.org_unit, community.books
    path = await conn.scalar(select(o.c.path).join(books, books.c.street_id == o.c.id))
    if path is None:
        streets = list(await conn.scalars(select(o.c.path).where(o.c.kind == "street")))
        if len(streets) != 1:
            raise db.InvalidRequest(
                "The books hold no street yet (or several): open them first (passbook init)."
            )
        path = streets[0]
    label = (name or "").strip()
    if name is not None and not 1 <= len(label) <= MAX_NAME:
        raise db.InvalidRequest(f"Say who you are with --by: a name of 1 to {MAX_NAME} characters.")
    return Principal(
        token_id=0,
        role=Role.ADMIN,
        scope=path,
        label=label or "cli",
        recorded_as=f"cli:{label}" if label else "cli",
    )


def _show(grant: community.Grant) -> None:
    state = f"{grant.kind}, {grant.status}" + (", already so" if grant.replayed else "")
    click.echo(
        f"Grant {grant.id} ({state}): {grant.points} points to {grant.passbook_number} "
        f"{grant.holder_name}, dated {grant.as_of}; the statement says {grant.memo}."
    )
    if grant.status is community.GrantStatus.PROPOSED:
        click.echo(f"  Another person confirms it: passbook grants confirm {grant.id} --by NAME")
    elif grant.status is community.GrantStatus.CONFIRMED:
        click.echo(f"  Posted as entry {grant.entry_id} by {grant.decided_actor}.")
    else:
        click.echo(f"  Rejected by {grant.decided_actor}: {grant.reject_reason}")


@click.group()
def opening() -> None:
    """Opening balances carried over from paper passbooks (纸质存折余额结转)."""


@opening.command("add")
@database_option
@points_option
@date_option
@click.option("--note", default="", help="Optional note kept with the grant.")
@click.option("--batch", default=None, help="A name grouping grants to confirm together.")
@by_option
@click.argument("number")
def opening_add(
    database_url: str | None,
    points: int,
    as_of: datetime,
    note: str,
    batch: str | None,
    by: str,
    number: str,
) -> None:
    """Propose passbook NUMBER's opening balance: the paper passbook's last balance and its
    date. It posts once another person confirms it."""

    async def work(tx: db.Transactions) -> community.Grant:
        principal = await tx.read(staff_principal, by)
        return await tx.write(
            services.propose_opening,
            principal,
            passbook_number=number,
            points=points,
            as_of=as_of.date(),
            note=note,
            batch=batch,
        )

    _show(run_use_case(database_url, work))


@click.group()
def adjustment() -> None:
    """Adjustments: points for service too old for a scoring sheet."""


@adjustment.command("add")
@database_option
@points_option
@date_option
@click.option("--reason", required=True, help="What service, and why it comes now.")
@click.option("--batch", default=None, help="A name grouping grants to confirm together.")
@by_option
@click.argument("number")
def adjustment_add(
    database_url: str | None,
    points: int,
    as_of: datetime,
    reason: str,
    batch: str | None,
    by: str,
    number: str,
) -> None:
    """Propose an adjustment for passbook NUMBER: points for service on --date, with a reason.
    It posts once another person confirms it."""

    async def work(tx: db.Transactions) -> community.Grant:
        principal = await tx.read(staff_principal, by)
        return await tx.write(
            services.propose_adjustment,
            principal,
            passbook_number=number,
            points=points,
            as_of=as_of.date(),
            reason=reason,
            sheet_max_age_days=settings_for(database_url).sheet_max_age_days,
            batch=batch,
        )

    _show(run_use_case(database_url, work))


@click.group()
def grants() -> None:
    """Opening balances and adjustments: list, confirm, reject."""


@grants.command("list")
@database_option
@click.option("--status", type=click.Choice([s.value for s in community.GrantStatus]))
@click.option("--kind", type=click.Choice([k.value for k in community.GrantKind]))
@click.option("--passbook", default=None, help="Only this passbook's grants.")
@click.option("--batch", default=None, help="Only this batch's grants.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 200))
def grants_list(
    database_url: str | None,
    status: str | None,
    kind: str | None,
    passbook: str | None,
    batch: str | None,
    limit: int,
) -> None:
    """List grants, newest first."""

    async def work(tx: db.Transactions) -> services.GrantListing:
        principal = await tx.read(staff_principal, None)
        return await tx.read(
            services.list_grants,
            principal,
            status=None if status is None else community.GrantStatus(status),
            kind=None if kind is None else community.GrantKind(kind),
            passbook=passbook,
            batch=batch,
            limit=limit,
        )

    listing = run_use_case(database_url, work)
    for g in listing.grants:
        click.echo(
            f"{g.id}  {g.kind}  {g.status}  {g.passbook_number}  {g.holder_name}  {g.points}  "
            f"{g.as_of}  by {g.proposed_actor}" + (f"  batch {g.batch}" if g.batch else "")
        )
    more = " (more: narrow it down)" if listing.earlier is not None else ""
    click.echo(f"{len(listing.grants)} grant(s){more}.")


@grants.command("confirm")
@database_option
@click.option("--batch", default=None, help="Confirm every proposed grant of this batch.")
@by_option
@click.argument("grant_id", required=False, type=click.IntRange(min=1))
def grants_confirm(
    database_url: str | None, batch: str | None, by: str, grant_id: int | None
) -> None:
    """Confirm grant GRANT_ID (or every grant of --batch) that another person proposed: its
    points post to the passbook."""
    if (grant_id is None) == (batch is None):
        raise click.UsageError("Give either a GRANT_ID or --batch NAME.")

    async def work(tx: db.Transactions) -> list[community.Grant]:
        principal = await tx.read(staff_principal, by)
        if batch is not None:
            return await tx.write(services.confirm_batch, principal, batch=batch)
        assert grant_id is not None
        return [await tx.write(services.confirm_grant, principal, grant_id=grant_id)]

    confirmed = run_use_case(database_url, work)
    for grant in confirmed:
        _show(grant)
    posted = [g for g in confirmed if not g.replayed]
    click.echo(f"{len(posted)} grant(s) posted now, {sum(g.points for g in posted)} points.")


@grants.command("reject")
@database_option
@click.option("--reason", required=True, help="Why it is rejected.")
@by_option
@click.argument("grant_id", type=click.IntRange(min=1))
def grants_reject(database_url: str | None, reason: str, by: str, grant_id: int) -> None:
    """Reject proposed grant GRANT_ID (its proposer withdraws it so); nothing posts."""

    async def work(tx: db.Transactions) -> community.Grant:
        principal = await tx.read(staff_principal, by)
        return await tx.write(services.reject_grant, principal, grant_id=grant_id, reason=reason)

    _show(run_use_case(database_url, work))


COMMANDS = [opening, adjustment, grants]
"""The groups ``passbook`` adds: ``opening``, ``adjustment`` and ``grants``."""
