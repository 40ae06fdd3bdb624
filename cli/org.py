"""``passbook org``: the org tree from the command line (add, list, rename, close).

The command line holds the database itself, so it acts as the operator
(:data:`community.services.OPERATOR`) and runs the same use cases as the API (:mod:`office`);
the books record ``cli:operator`` as who closed a unit. Every refusal is a clear exit 1.
"""

from __future__ import annotations

import click

import office
from cli.options import database_option, run_use_case
from community.services import OPERATOR


def describe(view: office.OrgUnitView) -> str:
    """One line about a unit: code, kind, name, active volunteers, and whether closed."""
    unit = view.unit
    depth = unit.path.count("/")
    closed = ""
    if unit.closed_at is not None:
        closed = f"  CLOSED {unit.closed_at:%Y-%m-%d} by {unit.closed_by}"
    return (
        f"{'  ' * depth}{unit.code}  {unit.kind}  {unit.name}  "
        f"{view.active_volunteers} active volunteer(s){closed}"
    )


@click.group()
def org() -> None:
    """The org tree: the street's communities and their grids."""


@org.command("add")
@database_option
@click.option("--kind", required=True, type=click.Choice(office.ADDED_KINDS))
@click.option("--code", required=True, help="Lower-case letters, digits or dashes, e.g. yzs-g1.")
@click.option("--name", required=True, help="The unit's name, e.g. 燕子山第一网格.")
@click.option(
    "--parent", required=True, help="The street's code (for a community) or a community's."
)
def org_add(database_url: str | None, kind: str, code: str, name: str, parent: str) -> None:
    """Add a community under the street or a grid under a community (with its issuance
    account). Adding it again with the same details changes nothing."""
    added = run_use_case(
        database_url,
        lambda tx: tx.write(
            office.add_org_unit, OPERATOR, code=code, name=name, kind=kind, parent_code=parent
        ),
    )
    verb = "Added" if added.created else "Already there, unchanged:"
    click.echo(f"{verb} {kind} {code} ({added.view.unit.name}) under {parent}.")


@org.command("list")
@database_option
def org_list(database_url: str | None) -> None:
    """Print the org tree, with each unit's active volunteers and whether it is closed."""
    tree = run_use_case(database_url, lambda tx: tx.read(office.list_org_units, OPERATOR))
    if not tree.units:
        click.echo("No org units yet: open the books with 'passbook init'.")
    for view in tree.units:
        click.echo(describe(view))


@org.command("rename")
@database_option
@click.argument("code")
@click.argument("name")
def org_rename(database_url: str | None, code: str, name: str) -> None:
    """Give the unit CODE the name NAME (its code stays)."""
    view = run_use_case(
        database_url, lambda tx: tx.write(office.rename_org_unit, OPERATOR, code=code, name=name)
    )
    click.echo(f"Renamed: {describe(view).strip()}")


@org.command("close")
@database_option
@click.argument("code")
def org_close(database_url: str | None, code: str) -> None:
    """Close the community or grid CODE: its history stays, it takes nothing new. Refused
    while it has active volunteers, open scoring sheets or open units under it."""
    view = run_use_case(
        database_url, lambda tx: tx.write(office.close_org_unit, OPERATOR, code=code)
    )
    click.echo(f"Closed: {describe(view).strip()}")
