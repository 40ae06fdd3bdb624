"""``passbook sheet reverse|correct|confirm-takeback|decline-takeback|withdraw-takeback``:
taking points back from a posted sheet with four eyes.

One council member proposes reversing a sheet or correcting a line; another confirms it, and
only then do the points move (:mod:`council.services.takebacks`).
"""

from __future__ import annotations

import click

import council
import db
from cli.member_cli import member_principal
from cli.options import database_option, run_use_case
from council import services


def register_takebacks(sheet: click.Group) -> None:
    """Add the take-back commands to ``passbook sheet``."""
    for command in (reverse, correct, confirm_takeback, decline_takeback, withdraw_takeback):
        sheet.add_command(command)


def _show_takeback(item: council.Takeback) -> None:
    click.echo(
        f"Take-back {item.id} ({item.status}): {item.what}, {item.points} points, "
        f"reason: {item.reason}."
    )
    if item.status == "proposed":
        click.echo(
            "  No points have moved: another council member of the grid must confirm it "
            f"(passbook sheet confirm-takeback --member CODE {item.id})."
        )
    elif item.status == "confirmed":
        click.echo(f"  The points were taken back by entry {item.entry_id}.")


@click.command("reverse")
@database_option
@click.option("--member", required=True, help="Code of the council member proposing it.")
@click.option("--reason", required=True, help="Why the whole sheet is taken back.")
@click.argument("sheet_id", type=click.IntRange(min=1))
def reverse(database_url: str | None, member: str, reason: str, sheet_id: int) -> None:
    """Propose reversing a posted sheet whole; another member confirms it."""

    async def work(tx: db.Transactions) -> council.Takeback:
        principal = await tx.read(member_principal, member)
        return await tx.write(
            services.propose_reversal, principal, sheet_id=sheet_id, reason=reason
        )

    _show_takeback(run_use_case(database_url, work))


@click.command("correct")
@database_option
@click.option("--member", required=True, help="Code of the council member proposing it.")
@click.option("--line", "line_no", required=True, type=click.IntRange(min=1))
@click.option("--reason", required=True, help="Why the line's points are taken back.")
@click.argument("sheet_id", type=click.IntRange(min=1))
def correct(
    database_url: str | None, member: str, line_no: int, reason: str, sheet_id: int
) -> None:
    """Propose taking back one line's points; another member confirms it."""

    async def work(tx: db.Transactions) -> council.Takeback:
        principal = await tx.read(member_principal, member)
        return await tx.write(
            services.propose_correction, principal, sheet_id=sheet_id, line=line_no,
            reason=reason,
        )  # fmt: skip

    _show_takeback(run_use_case(database_url, work))


@click.command("confirm-takeback")
@database_option
@click.option("--member", required=True, help="Code of the council member confirming it.")
@click.argument("takeback_id", type=click.IntRange(min=1))
def confirm_takeback(database_url: str | None, member: str, takeback_id: int) -> None:
    """Confirm a colleague's take-back: the points are taken back now."""

    async def work(tx: db.Transactions) -> council.Takeback:
        principal = await tx.read(member_principal, member)
        return await tx.write(services.confirm_takeback, principal, takeback_id=takeback_id)

    _show_takeback(run_use_case(database_url, work))


@click.command("decline-takeback")
@database_option
@click.option("--member", required=True, help="Code of the council member declining it.")
@click.option("--reason", required=True, help="Why it is declined.")
@click.argument("takeback_id", type=click.IntRange(min=1))
def decline_takeback(database_url: str | None, member: str, reason: str, takeback_id: int) -> None:
    """Decline a colleague's take-back, saying why; nothing moves."""

    async def work(tx: db.Transactions) -> council.Takeback:
        principal = await tx.read(member_principal, member)
        return await tx.write(
            services.decline_takeback, principal, takeback_id=takeback_id, reason=reason
        )

    _show_takeback(run_use_case(database_url, work))


@click.command("withdraw-takeback")
@database_option
@click.option("--member", required=True, help="Code of the council member who proposed it.")
@click.argument("takeback_id", type=click.IntRange(min=1))
def withdraw_takeback(database_url: str | None, member: str, takeback_id: int) -> None:
    """Withdraw your own take-back proposal; nothing moves."""

    async def work(tx: db.Transactions) -> council.Takeback:
        principal = await tx.read(member_principal, member)
        return await tx.write(services.withdraw_takeback, principal, takeback_id=takeback_id)

    _show_takeback(run_use_case(database_url, work))
