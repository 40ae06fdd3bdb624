"""``passbook signin-code``: issue, list and revoke one-time sign-in codes as the operator.

The command line holds the database itself, so it acts as the operator
(``community.services.OPERATOR``, recorded as ``cli:operator``) and runs the same use cases
as the API (:mod:`office`). A code is printed once, with its expiry in China Standard Time,
the page that exchanges it and a QR of that page's address for the device's camera; only the
code's hash is stored. Everything a person reads is in the catalogue's language for the
command line (``PASSBOOK_LANG``, ``LANG``).
"""

from __future__ import annotations

import sys
from datetime import timedelta

import click
import segno

import db
import office
from access import CODE_ROLES, MAX_LIFE_MINUTES, Role, SignInCodeRecord
from cli.options import database_option, run_use_case
from community.services import OPERATOR
from i18n import Locale, Message, _, from_environment
from scheme_time import format_moment

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@click.group("signin-code")
def signin_code() -> None:
    """One-time sign-in codes for staff and counter devices."""


def _say(locale: Locale, text: Message) -> None:
    click.echo(text.render(locale))


@signin_code.command("create")
@database_option
@click.option("--role", required=True, type=click.Choice(CODE_ROLES))
@click.option(
    "--scope",
    required=True,
    help="Org unit code (admin, auditor), council member's code or merchant code.",
)
@click.option("--label", default=None, help="Which device or person, e.g. 'Counter 1'.")
@click.option(
    "--minutes",
    type=click.IntRange(1, MAX_LIFE_MINUTES),
    default=10,
    show_default=True,
    help="How long the code works.",
)
@click.option(
    "--base-url",
    envvar="PASSBOOK_PUBLIC_URL",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Where devices reach the service (PASSBOOK_PUBLIC_URL): the QR opens the page there.",
)
def signin_code_create(
    database_url: str | None,
    role: str,
    scope: str,
    label: str | None,
    minutes: int,
    base_url: str,
) -> None:
    """Issue a one-time sign-in code: typed on the device, or its QR opened, it becomes a
    credential of ROLE over SCOPE for 12 hours, once. Printed once; stored only as a hash."""

    async def work(tx: db.Transactions) -> office.IssuedSignInCode:
        return await tx.write(
            office.issue_sign_in_code,
            OPERATOR,
            role=Role(role),
            scope=scope,
            label=label,
            valid_for=timedelta(minutes=minutes),
        )

    issued = run_use_case(database_url, work)
    locale = from_environment()
    link = base_url.rstrip("/") + issued.link_path
    _say(locale, _("Sign-in code: {code}", code=issued.code))
    _say(
        locale,
        _(
            "It works once, until {moment}.",
            moment=format_moment(issued.expires_at, locale),
        ),
    )
    _say(locale, _("Type it on the device's sign-in page, or open {link}", link=link))
    segno.make(link, error="m").terminal(out=sys.stdout, compact=True)


def _row(record: SignInCodeRecord, locale: Locale) -> str:
    return "\t".join(
        (
            str(record.id),
            record.role.value,
            record.scope,
            record.label,
            record.created_by,
            format_moment(record.expires_at, locale),
        )
    )


@signin_code.command("list")
@database_option
def signin_code_list(database_url: str | None) -> None:
    """List the open sign-in codes, newest first, one per line (tab-separated, with a header):
    id, role, scope, label, issued by, valid until. Never a code."""

    async def work(tx: db.Transactions) -> list[SignInCodeRecord]:
        return await tx.read(office.list_sign_in_codes, OPERATOR)

    listed = run_use_case(database_url, work)
    locale = from_environment()
    click.echo("\t".join(("id", "role", "scope", "label", "by", "until")))
    for record in listed:
        click.echo(_row(record, locale))


@signin_code.command("revoke")
@database_option
@click.argument("code_id", type=click.IntRange(min=1))
def signin_code_revoke(database_url: str | None, code_id: int) -> None:
    """Revoke open sign-in code CODE_ID (its id from 'passbook signin-code list'): it no
    longer works."""

    async def work(tx: db.Transactions) -> SignInCodeRecord:
        return await tx.write(office.revoke_sign_in_code, OPERATOR, code_id=code_id)

    done = run_use_case(database_url, work)
    _say(from_environment(), _("Sign-in code {id} revoked: it no longer works.", id=done.id))
