"""What every ``passbook`` command shares: the ``--database-url`` option and the settings it
makes, refusing an unsupported URL before anything runs."""

from __future__ import annotations

import click
from sqlalchemy.exc import ArgumentError

import db
from config import Settings


def settings_for(database_url: str | None) -> Settings:
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    try:
        db.dialect_of(settings.database_url)  # refuse an unsupported URL before doing anything
    except (ValueError, ArgumentError) as error:
        raise click.BadParameter(str(error), param_hint="'--database-url'") from error
    return settings


database_option = click.option(
    "--database-url",
    envvar="PASSBOOK_DATABASE_URL",
    default=None,
    help="Database URL (default: PASSBOOK_DATABASE_URL or sqlite+aiosqlite:///passbook.db).",
)
