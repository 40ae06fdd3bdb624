"""``passbook backup`` and ``passbook restore``: a consistent copy of the running books, and
loading one into an empty database, verified before it is called done."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

import db
import ledger
from cli.options import database_option, settings_for


async def verified(url: str) -> ledger.VerifyReport:
    """The books at ``url`` recomputed (entries, chains, holds) by the verify use case."""
    from community import services

    engine = db.create_engine(url)
    try:
        return await db.Transactions(engine).read(services.verify_books, services.OPERATOR)
    finally:
        await engine.dispose()


def echo_report(report: ledger.VerifyReport) -> None:
    """Print what verify found; exit 1 when the books are broken."""
    click.echo(
        f"Checked {report.entries} entries, {report.postings} postings, "
        f"{report.accounts} accounts, {report.holds} holds."
    )
    if report.ok:
        click.echo(f"OK: the books balance and every chain is intact. Books digest {report.digest}")
        return
    click.echo(f"BROKEN: {len(report.problems)} problem(s).", err=True)
    if report.first_broken_entry is not None:
        click.echo(f"First broken entry: {report.first_broken_entry}", err=True)
    for problem in report.problems[:50]:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@click.command()
@database_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(database_url: str | None, file: Path) -> None:
    """Copy the books into FILE as of one moment, while the service runs (SQLite: the online
    backup; PostgreSQL: pg_dump, which must be installed)."""
    settings = settings_for(database_url)
    if db.dialect_of(settings.database_url) is db.Dialect.POSTGRESQL:
        click.echo("PostgreSQL: running pg_dump (custom format, one snapshot).")
    try:
        db.backup(settings.database_url, file)
    except db.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {file} ({file.stat().st_size} bytes).")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--database-url",
    required=True,
    help="The EMPTY database to load into (a new SQLite file, or a new PostgreSQL database).",
)
def restore(file: Path, database_url: str) -> None:
    """Load the backup FILE into an empty database, then verify the books it holds."""
    if db.dialect_of(database_url) is db.Dialect.POSTGRESQL:
        click.echo("PostgreSQL: running pg_restore.")
    try:
        db.restore(file, database_url)
    except db.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {file}. Verifying the books:")
    echo_report(asyncio.run(verified(database_url)))


__all__ = ["backup", "echo_report", "restore", "verified"]
