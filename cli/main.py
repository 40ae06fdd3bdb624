"""The ``passbook`` command: serve, migrate, open real books, keep the org tree, load the demo,
make tokens, verify, benchmark."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

import db
import migrations
from cli import serving
from cli.backups import backup, echo_report, restore, verified
from cli.books import demo_wanted, init, load_demo_into
from cli.checkpoints import checkpoint, verify_checkpoint_file
from cli.council import report, sheet
from cli.grants import COMMANDS as GRANT_COMMANDS
from cli.imports import export_group, import_group
from cli.options import database_option, settings_for
from cli.org import org
from cli.serving import DEFAULT_SERVER, Server
from cli.sign_in_codes import signin_code
from cli.tokens import token
from cli.volunteers import volunteer
from seeds import DEMO_PIN


@click.group()
def main() -> None:
    """Red Passbook: a points ledger and rewards exchange for volunteer schemes."""


@main.command()
@database_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--migrate/--no-migrate", default=True, show_default=True, help="Migrate first.")
@click.option(
    "--demo/--no-demo",
    default=None,
    help="Load the demo data; by default only on the default database file "
    "(sqlite+aiosqlite:///passbook.db). Never into real books.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=None,
    help="Worker processes (default: one per core on PostgreSQL, 1 on SQLite).",
)
@click.option(
    "--server",
    type=click.Choice([s.value for s in Server]),
    default=DEFAULT_SERVER.value,
    show_default=True,
    help="The ASGI server (docs/operations.md says why the default).",
)
def serve(
    database_url: str | None,
    host: str,
    port: int,
    migrate: bool,
    demo: bool | None,
    workers: int | None,
    server: str,
) -> None:
    """Run the service (migrating the database first, and on the default database file loading
    the demo data, unless told not to) with WORKERS processes."""
    settings = settings_for(database_url)
    if migrate:
        migrations.upgrade(settings.database_url)
    if demo_wanted(demo, settings.database_url):
        refusal = asyncio.run(load_demo_into(settings.database_url))
        if refusal is not None and demo:
            raise click.ClickException(refusal)
        if refusal is not None:
            click.echo(f"Demo data not loaded: {refusal}")
        else:
            number, pin = DEMO_PIN
            click.echo(
                f"Demo data loaded. Open http://{host}:{port}/ and sign in with passbook "
                f"{number} and PIN {pin}; or try the API: curl -H 'Authorization: Bearer "
                f"pb_demo_admin' http://{host}:{port}/api/passbooks/{number}"
            )
    click.echo(
        f"Red Passbook on http://{host}:{port}  API docs: http://{host}:{port}/schema "
        f"(OpenAPI: http://{host}:{port}/schema/openapi.json)"
    )
    serving.run(
        settings,
        host=host,
        port=port,
        workers=workers or serving.default_workers(settings.database_url),
        server=Server(server),
    )


@main.command()
@database_option
def migrate(database_url: str | None) -> None:
    """Bring the database schema up to date."""
    settings = settings_for(database_url)
    migrations.upgrade(settings.database_url)
    click.echo("Database is up to date.")


@main.command("demo")
@database_option
def demo(database_url: str | None) -> None:
    """Load the demo data (loading it again changes nothing). Refused, writing nothing, on
    real books or books holding other org units."""
    settings = settings_for(database_url)
    refusal = asyncio.run(load_demo_into(settings.database_url))
    if refusal is not None:
        raise click.ClickException(refusal)
    click.echo("Demo data loaded.")


@main.command()
@database_option
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also prove that today's books extend this signed checkpoint (passbook checkpoint).",
)
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The auditor's public key (PEM or hex) to check the checkpoint's signature with.",
)
def verify(database_url: str | None, checkpoint_file: Path | None, public_key: Path | None) -> None:
    """Recompute the books and hash chains; exit 1 naming the first broken entry. With
    --checkpoint FILE, check its signature and that today's books extend it, naming every
    account whose history before it was rewritten."""
    if checkpoint_file is not None:
        verify_checkpoint_file(database_url, checkpoint_file, public_key)
        return
    if public_key is not None:
        raise click.UsageError("--public-key goes with --checkpoint FILE.")
    settings = settings_for(database_url)
    echo_report(asyncio.run(verified(settings.database_url)))


@main.command()
@database_option
def expire(database_url: str | None) -> None:
    """Expire vouchers past their date: their points, stock and limit places come back.
    The running service does this by itself every PASSBOOK_EXPIRY_INTERVAL_SECONDS."""
    import rewards

    settings = settings_for(database_url)

    async def run() -> rewards.ExpirySweep:
        engine = db.create_engine(settings.database_url)
        try:
            return await rewards.expire_vouchers(engine)
        finally:
            await engine.dispose()

    swept = asyncio.run(run())
    click.echo(
        f"Expired {swept.vouchers} voucher(s); {swept.points} points went back to passbooks. "
        f"Ballots: {swept.places_passed} place(s) passed on, {swept.ballots_cancelled} "
        "ballot(s) cancelled for want of a draw."
    )


@main.group()
def bench() -> None:
    """Benchmarks that print figures (never timed tests)."""


@bench.command("ledger")
@database_option
@click.option("--accounts", default=10_000, show_default=True, type=click.IntRange(min=10))
@click.option("--seconds", default=10.0, show_default=True, type=click.FloatRange(min=1))
@click.option(
    "--big",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(min=1000),
    help="Postings on the account whose balance-read latency is measured.",
)
def bench_ledger(database_url: str | None, accounts: int, seconds: float, big: int) -> None:
    """Transfers/s at 1 and 8 workers, postings/s in 100-posting entries, balance-read latency;
    on PostgreSQL also pgbench on the same server. Uses scratch databases only."""
    from bench.ledger import run_ledger_bench

    settings = settings_for(database_url)
    asyncio.run(
        run_ledger_bench(
            settings.database_url, accounts=accounts, seconds=seconds, big_account_postings=big
        )
    )


@bench.command("sheets")
@database_option
@click.option("--big-sheets", default=7, show_default=True, type=click.IntRange(min=1))
@click.option("--seconds", default=10.0, show_default=True, type=click.FloatRange(min=1))
def bench_sheets(database_url: str | None, big_sheets: int, seconds: float) -> None:
    """Seconds to draft and approve a 500-line scoring sheet, and 5-line sheets approved/s
    at 1 and 4 council pairs. Uses a scratch database only."""
    from bench.sheets import run_sheets_bench

    settings = settings_for(database_url)
    asyncio.run(run_sheets_bench(settings.database_url, big_sheets=big_sheets, seconds=seconds))


@bench.command("rewards")
@database_option
@click.option("--seconds", default=10.0, show_default=True, type=click.FloatRange(min=1))
def bench_rewards(database_url: str | None, seconds: float) -> None:
    """Redemptions/s and scans/s at 1 and 8 workers, and 200 redemptions racing for a stock
    of 50. Uses a scratch database only."""
    from bench.rewards import run_rewards_bench

    settings = settings_for(database_url)
    asyncio.run(run_rewards_bench(settings.database_url, seconds=seconds))


@bench.command("signin")
@database_option
@click.option("--flood", default=400, show_default=True, type=click.IntRange(min=1, max=2000))
@click.option("--seconds", default=10.0, show_default=True, type=click.FloatRange(min=1))
def bench_signin(database_url: str | None, flood: int, seconds: float) -> None:
    """p50/p99 of /health and a balance read, alone and while waves of FLOOD concurrent
    sign-ins with unknown numbers arrive. Uses a scratch database only."""
    from bench.signin import run_signin_bench

    settings = settings_for(database_url)
    asyncio.run(run_signin_bench(settings.database_url, flood=flood, seconds=seconds))


@bench.command("pages")
@database_option
@click.option("--requests", default=200, show_default=True, type=click.IntRange(min=1))
def bench_pages(database_url: str | None, requests: int) -> None:
    """p50/p99 of each page (/, /passbook, /rewards, /vouchers, the print page, /check) over
    REQUESTS requests, signed in as the demo volunteer. Uses a scratch database only."""
    from bench.pages import run_pages_bench

    settings = settings_for(database_url)
    asyncio.run(run_pages_bench(settings.database_url, requests=requests))


main.add_command(init)
main.add_command(backup)
main.add_command(restore)
main.add_command(checkpoint)
main.add_command(org)
main.add_command(token)
main.add_command(signin_code)
main.add_command(sheet)
main.add_command(report)
for command in GRANT_COMMANDS:
    main.add_command(command)
main.add_command(import_group)
main.add_command(volunteer)
main.add_command(export_group)
