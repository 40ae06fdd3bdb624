"""``passbook sheet`` and ``passbook report``: council scoring from the command line.

For a grid office that keeps its scoring sheets in a spreadsheet: draft a sheet from a CSV
file of lines, edit or delete a draft, revise a rejected sheet, approve it as a second
council member, propose and confirm taking points back (four eyes: two members), and print
the grid reports. The command line acts with database access, so it names the council member
who acts and runs the same use cases as the API (:mod:`council.services`) as that member; the
books record ``cli:<member code>``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

import community
import council
import db
import export
from access import Principal, Role
from cli.council_takebacks import register_takebacks
from cli.member_cli import member_principal
from cli.options import database_option, run_use_case, settings_for
from council import services

LINE_COLUMNS = ("passbook", "units")


async def reader_principal(conn: db.Connection, scope: str | None) -> Principal:
    """A reader of the org unit ``scope`` (every unit when None): the command line reads the
    whole database."""
    path = ""  # every unit
    if scope is not None:
        path = (await community.get_org_unit(conn, scope)).path
    return Principal(token_id=0, role=Role.AUDITOR, scope=path, label="cli", recorded_as="cli")


def read_lines(text: str) -> list[council.LineIn]:
    """Sheet lines from CSV text with a header row: passbook, units and optionally note."""
    reader = export.read_csv(text)
    missing = [c for c in LINE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise click.ClickException(
            f"The lines file needs a header row with columns {', '.join(LINE_COLUMNS)} "
            f"(and optionally note); missing: {', '.join(missing)}."
        )
    lines = []
    for number, row in enumerate(reader, start=2):
        try:
            units = int(row["units"])
        except ValueError:
            raise click.ClickException(
                f"Row {number}: units {row['units']!r} is not a whole number."
            ) from None
        lines.append(
            council.LineIn(row["passbook"].strip(), units, (row.get("note") or "").strip())
        )
    return lines


def _show(sheet: council.Sheet) -> None:
    click.echo(
        f"Sheet {sheet.id} ({sheet.status}): {sheet.memo}, {len(sheet.lines)} line(s), "
        f"{sheet.total_points} points."
    )
    for number, name, points in sheet.bonuses:
        click.echo(f"  bonus {points} to {number}: {name}")


@click.group()
def sheet() -> None:
    """Scoring sheets."""


@sheet.command("draft")
@database_option
@click.option("--member", required=True, help="Code of the council member drafting it.")
@click.option("--rule", required=True, help="Savings rule code.")
@click.option("--date", "activity_date", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--place", default="", help="Where the activity took place.")
@click.option("--note", default="")
@click.option("--community-wide", is_flag=True, help="Volunteers from the whole community.")
@click.option("--submit", is_flag=True, help="Submit it for approval at once.")
@click.argument("lines_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def draft(
    database_url: str | None,
    member: str,
    rule: str,
    activity_date: datetime,
    place: str,
    note: str,
    community_wide: bool,
    submit: bool,
    lines_csv: Path,
) -> None:
    """Draft a sheet from a CSV file of lines (columns: passbook, units, note)."""
    lines = read_lines(lines_csv.read_text(encoding="utf-8"))
    max_age = settings_for(database_url).sheet_max_age_days

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(
            services.draft_sheet,
            principal,
            rule=rule,
            activity_date=activity_date.date(),
            place=place,
            note=note,
            lines=lines,
            community_wide=community_wide,
            submit=submit,
            max_age_days=max_age,
        )

    _show(run_use_case(database_url, work))


@sheet.command("approve")
@database_option
@click.option("--member", required=True, help="Code of the council member approving it.")
@click.argument("sheet_id", type=click.IntRange(min=1))
def approve(database_url: str | None, member: str, sheet_id: int) -> None:
    """Approve a colleague's submitted sheet: its points post to the passbooks."""

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(services.approve_sheet, principal, sheet_id=sheet_id)

    _show(run_use_case(database_url, work))


@sheet.command("submit")
@database_option
@click.option("--member", required=True, help="Code of the council member who drafted it.")
@click.argument("sheet_id", type=click.IntRange(min=1))
def submit(database_url: str | None, member: str, sheet_id: int) -> None:
    """Submit your draft for a colleague's approval."""

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(services.submit_sheet, principal, sheet_id=sheet_id)

    _show(run_use_case(database_url, work))


@sheet.command("reject")
@database_option
@click.option("--member", required=True, help="Code of the council member rejecting it.")
@click.option("--reason", required=True, help="Why it goes back to its author.")
@click.argument("sheet_id", type=click.IntRange(min=1))
def reject(database_url: str | None, member: str, reason: str, sheet_id: int) -> None:
    """Send a colleague's submitted sheet back, saying why (it can then be revised)."""

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(services.reject_sheet, principal, sheet_id=sheet_id, reason=reason)

    _show(run_use_case(database_url, work))


def _changes(
    rule: str | None,
    activity_date: datetime | None,
    place: str | None,
    note: str | None,
    lines_csv: Path | None,
) -> council.DraftChanges:
    return council.DraftChanges(
        rule_code=rule,
        activity_date=None if activity_date is None else activity_date.date(),
        place=place,
        note=note,
        lines=None if lines_csv is None else read_lines(lines_csv.read_text(encoding="utf-8")),
    )


def _change_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options of an edit or a revision: what is not given stays as the sheet has it."""
    for option in reversed(
        [
            click.option("--rule", default=None, help="Another savings rule code."),
            click.option(
                "--date", "activity_date", default=None, type=click.DateTime(["%Y-%m-%d"])
            ),
            click.option("--place", default=None),
            click.option("--note", default=None),
            click.option(
                "--lines",
                "lines_csv",
                default=None,
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="A CSV file of lines replacing every line (passbook, units, note).",
            ),
            click.option("--submit", is_flag=True, help="Submit it for approval at once."),
        ]
    ):
        command = option(command)
    return command


@sheet.command("edit")
@database_option
@click.option("--member", required=True, help="Code of the council member who drafted it.")
@_change_options
@click.argument("sheet_id", type=click.IntRange(min=1))
def edit(
    database_url: str | None,
    member: str,
    rule: str | None,
    activity_date: datetime | None,
    place: str | None,
    note: str | None,
    lines_csv: Path | None,
    submit: bool,
    sheet_id: int,
) -> None:
    """Edit your draft: change its fields and/or replace its lines."""
    changes = _changes(rule, activity_date, place, note, lines_csv)
    max_age = settings_for(database_url).sheet_max_age_days

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(
            services.edit_draft, principal, sheet_id=sheet_id, changes=changes,
            submit=submit, max_age_days=max_age,
        )  # fmt: skip

    _show(run_use_case(database_url, work))


@sheet.command("delete")
@database_option
@click.option("--member", required=True, help="Code of the council member who drafted it.")
@click.argument("sheet_id", type=click.IntRange(min=1))
def delete(database_url: str | None, member: str, sheet_id: int) -> None:
    """Delete your draft and its lines (a draft has posted nothing)."""

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(services.delete_draft, principal, sheet_id=sheet_id)

    gone = run_use_case(database_url, work)
    click.echo(f"Deleted draft {gone.id}: {gone.memo}, {len(gone.lines)} line(s).")


@sheet.command("revise")
@database_option
@click.option("--member", required=True, help="Code of the council member revising it.")
@_change_options
@click.argument("sheet_id", type=click.IntRange(min=1))
def revise(
    database_url: str | None,
    member: str,
    rule: str | None,
    activity_date: datetime | None,
    place: str | None,
    note: str | None,
    lines_csv: Path | None,
    submit: bool,
    sheet_id: int,
) -> None:
    """Revise a rejected sheet: a new draft copying it, with any changes given."""
    changes = _changes(rule, activity_date, place, note, lines_csv)
    max_age = settings_for(database_url).sheet_max_age_days

    async def work(tx: db.Transactions) -> council.Sheet:
        principal = await tx.read(member_principal, member)
        return await tx.write(
            services.revise_sheet, principal, sheet_id=sheet_id, changes=changes,
            submit=submit, max_age_days=max_age,
        )  # fmt: skip

    revision = run_use_case(database_url, work)
    _show(revision)
    click.echo(f"  revises rejected sheet {revision.revises_sheet_id}.")


register_takebacks(sheet)


@click.group()
def report() -> None:
    """Grid reports."""


@report.command("issuance")
@database_option
@click.option("--since", required=True, help="First month, YYYY-MM.")
@click.option("--until", required=True, help="Last month, YYYY-MM.")
@click.option("--scope", default=None, help="Org unit code (default: every unit).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for Excel instead of a table.")
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the report to this .xlsx workbook (numbers as numbers).",
)
def issuance(
    database_url: str | None,
    since: str,
    until: str,
    scope: str | None,
    as_csv: bool,
    xlsx_file: Path | None,
) -> None:
    """Points issued per grid and month."""

    async def work(tx: db.Transactions) -> council.IssuanceReport:
        principal = await tx.read(reader_principal, scope)
        return await tx.read(services.issuance_report, principal, since=since, until=until)

    rows = run_use_case(database_url, work).rows
    header = ["grid", "grid name", "month", "sheets", "scored", "bonuses", "taken back", "net"]
    values = [
        [r.grid_code, r.grid_name, r.month, r.sheets, r.scored, r.bonuses, r.taken_back, r.net]
        for r in rows
    ]
    if xlsx_file is not None:
        chinese = ["网格 grid", "网格名称 grid name", "月份 month", "评分表 sheets",
                   "积分 scored", "激励 bonuses", "冲正 taken back", "净发放 net"]  # fmt: skip
        xlsx_file.write_bytes(export.xlsx_bytes(chinese, values, f"积分发放 {since}..{until}"))
    if as_csv:
        sys.stdout.write(export.csv_text(header, values))
        return
    for row in values:
        click.echo("  ".join(str(v) for v in row))
    click.echo(f"{len(values)} row(s); net {sum(r.net for r in rows)} points.")
