"""``passbook token``: make, list and revoke credentials as the operator.

The command line holds the database itself, so it acts as the operator
(``community.services.OPERATOR``, recorded as ``cli:operator``) and runs the same use cases as
the API (:mod:`office`): a scope must exist and be open, a merchant code must name a merchant.
A token is printed once, when made; a listing never shows a hash.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click

import db
import office
from access import Role, TokenRecord
from cli.options import database_option, run_use_case
from community.services import OPERATOR

ROLES = [r.value for r in Role]
LIST_COLUMNS = (
    "id", "role", "scope", "label", "state", "created", "by", "last used", "expires", "revoked",
)  # fmt: skip


@click.group()
def token() -> None:
    """Bearer tokens: make, list and revoke them."""


@token.command("create")
@database_option
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--scope",
    required=True,
    help="Org unit code (admin, auditor), council member's code, passbook number or merchant code.",
)
@click.option("--label", required=True, help="Whose token this is, e.g. a name.")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Expire after N days.")
def token_create(
    database_url: str | None, role: str, scope: str, label: str, days: int | None
) -> None:
    """Make a token. It is printed once and stored only as a hash."""

    async def work(tx: db.Transactions) -> office.IssuedCredential:
        return await tx.write(
            office.issue_credential,
            OPERATOR,
            role=Role(role),
            scope=scope,
            label=label,
            valid_for=timedelta(days=days) if days else None,
        )

    click.echo(run_use_case(database_url, work).token)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _row(record: TokenRecord, now: datetime) -> tuple[str, ...]:
    revoked = "-"
    if record.revoked_at is not None:
        revoked = f"{_when(record.revoked_at)} by {record.revoked_by or '?'}"
    scope = record.scope if record.member is None else f"{record.member} ({record.scope})"
    return (
        str(record.id),
        record.role.value,
        scope,
        record.label,
        record.state(now).value,
        _when(record.created_at),
        record.created_by or "-",
        _when(record.last_used_at),
        _when(record.expires_at),
        revoked,
    )


@token.command("list")
@database_option
@click.option("--role", type=click.Choice(ROLES), default=None, help="Only this role.")
@click.option(
    "--scope",
    default=None,
    help="Only those made for this org unit, council member, passbook or merchant code.",
)
@click.option("--all", "include_inactive", is_flag=True, help="Expired and revoked tokens too.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
def token_list(
    database_url: str | None,
    role: str | None,
    scope: str | None,
    include_inactive: bool,
    limit: int,
) -> None:
    """List tokens, newest first, one per line (tab-separated, with a header): id, role,
    scope, label, state, created, by whom, last used, expires, revoked. Never a hash."""

    async def work(tx: db.Transactions) -> office.CredentialList:
        return await tx.read(
            office.list_credentials,
            OPERATOR,
            role=None if role is None else Role(role),
            scope=scope,
            include_inactive=include_inactive,
            limit=limit,
        )

    listed = run_use_case(database_url, work)
    click.echo("\t".join(LIST_COLUMNS))
    for record in listed.page.items:
        click.echo("\t".join(_row(record, listed.now)))
    if listed.page.earlier is not None:
        click.echo(f"(more: raise --limit above {limit})", err=True)


@token.command("revoke")
@database_option
@click.argument("token_id", type=click.IntRange(min=1))
def token_revoke(database_url: str | None, token_id: int) -> None:
    """Revoke token TOKEN_ID for good (its id from 'passbook token list'): the next request
    with it gets 401. Revoking it again changes nothing and says when it was revoked."""

    async def work(tx: db.Transactions) -> office.Revocation:
        return await tx.write(office.revoke_credential, OPERATOR, token_id=token_id)

    done = run_use_case(database_url, work)
    record = done.record
    what = f"Token {record.id} ({record.role}, {record.label})"
    if done.revoked_now:
        click.echo(f"{what} revoked.")
    else:
        click.echo(
            f"{what} was already revoked at {_when(record.revoked_at)} by "
            f"{record.revoked_by or 'someone unrecorded'}; nothing changed."
        )
