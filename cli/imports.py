"""``passbook import`` and ``passbook export``: the spreadsheets a street office keeps, in and
out of the books.

The command line holds the database, so it acts as the operator
(:data:`community.services.OPERATOR`): it imports into any grid and exports every unit, phones
whole. It runs the same use cases as the API (:mod:`community.services.roster`), all or
nothing: a file with any problem saves nothing, and every problem is printed by row and
column (exit 1).
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

import community
import db
import export
from cli.grants import staff_principal
from cli.options import database_option, problem_line, run_use_case
from community import services


@click.group("import")
def import_group() -> None:
    """Bring spreadsheets into the books."""


@import_group.command("volunteers")
@database_option
@click.option(
    "--dry-run", is_flag=True, help="Check the file and say what would happen; save nothing."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_volunteers(database_url: str | None, dry_run: bool, file: Path) -> None:
    """Register the volunteers of a roster file (.xlsx, or .csv in UTF-8, UTF-8 with BOM, GBK
    or GB18030), all or nothing. Columns: 存折号, 姓名, 网格 (code or name), 电话, 入册日期
    (or passbook_number, name, grid, phone, joined_on). Rows already registered with the same
    data are unchanged, so importing a file again changes nothing."""
    data = file.read_bytes()

    async def work(tx: db.Transactions) -> services.RosterImport:
        return await tx.write(
            services.import_roster,
            services.OPERATOR,
            data=data,
            filename=file.name,
            dry_run=dry_run,
        )

    done = run_use_case(database_url, work)
    verb = "would register" if dry_run else "registered"
    click.echo(
        f"{file.name} (read as {done.read_as}): {done.rows} row(s); {verb} {done.new}, "
        f"{done.unchanged} unchanged."
    )
    if done.ignored_columns:
        click.echo(f"Columns not read: {', '.join(done.ignored_columns)}.")
    if done.problems:
        click.echo(f"{len(done.problems)} problem(s); an import would save nothing:", err=True)
        for problem in done.problems:
            click.echo(problem_line(asdict(problem)), err=True)
        sys.exit(1)


@import_group.command("openings")
@database_option
@click.option(
    "--by", "by", required=True, help="Who is proposing (your name): another person confirms."
)
@click.option("--batch", default=None, help="The batch's name (default: after the file).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_openings(database_url: str | None, by: str, batch: str | None, file: Path) -> None:
    """Propose the opening balances of a file carried over from paper passbooks (.xlsx, or
    .csv in UTF-8, UTF-8 with BOM, GBK or GB18030; columns 存折号, 余额, 日期 and optionally
    备注), all or nothing, as one batch that another person confirms with 'passbook grants
    confirm --batch NAME --by THEIR-NAME'. Nothing posts before that."""
    data = file.read_bytes()

    async def work(tx: db.Transactions) -> list[community.Grant]:
        async def propose(conn: db.Connection) -> list[community.Grant]:
            principal = await staff_principal(conn, by)
            return await services.import_openings(
                conn, principal, data=data, filename=file.name, batch=batch
            )

        return await tx.write(propose)

    grants = run_use_case(database_url, work)
    name = grants[0].batch
    if all(g.replayed for g in grants):
        click.echo(f"{file.name} was proposed already as batch {name}: nothing new.")
    else:
        points = sum(g.points for g in grants)
        click.echo(f"Proposed {len(grants)} opening balance(s), {points} points, as batch {name}.")
    click.echo(f"Another person confirms them: passbook grants confirm --batch {name} --by NAME")


@click.group("export")
def export_group() -> None:
    """Write spreadsheets from the books."""


@export_group.command("volunteers")
@database_option
@click.option("--unit", default=None, help="Org unit code (default: every unit).")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "xlsx"]),
    default="xlsx",
    show_default=True,
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write.",
)
def export_volunteers(
    database_url: str | None, unit: str | None, file_format: str, output: Path
) -> None:
    """Write the roster (存折号, 姓名, 网格, 网格名称, 电话, 入册日期, 状态, 余额): a file that
    `passbook import volunteers` takes back unchanged."""

    async def work(tx: db.Transactions) -> services.Roster:
        return await tx.read(services.export_roster, services.OPERATOR, unit=unit)

    roster = run_use_case(database_url, work)
    rows = services.roster_rows(roster)
    if file_format == "xlsx":
        output.write_bytes(export.xlsx_bytes(services.ROSTER_COLUMNS, rows, "名册 roster"))
    else:
        output.write_bytes(export.csv_bytes(services.ROSTER_COLUMNS, rows))
    click.echo(f"Wrote {len(rows)} volunteer(s) to {output}.")
