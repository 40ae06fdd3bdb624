"""What every ``passbook`` command shares: the ``--database-url`` option and the settings it
makes (refusing an unsupported URL before anything runs), and running a use case on the
database with a refusal told as a clear exit 1, every problem it names on a line of its own.

A refusal is told in the language of the command line's environment (``PASSBOOK_LANG``, else
``LC_ALL``, ``LC_MESSAGES``, ``LANG``: :func:`i18n.from_environment`); English otherwise, so
scripts that read the English text see no change. Its ``[code]`` never changes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy.exc import ArgumentError

import db
import i18n
from config import Settings
from i18n import _

T = TypeVar("T")


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


def run_use_case(database_url: str | None, work: Callable[[db.Transactions], Awaitable[T]]) -> T:
    """Run ``work`` on the database at ``database_url``; a refusal (a
    :class:`db.DomainError`) is a clear exit 1 saying what happened and every problem it
    names (:func:`refusal_text`)."""
    url = settings_for(database_url).database_url

    async def run() -> T:
        engine = db.create_engine(url)
        try:
            return await work(db.Transactions(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except db.DomainError as error:
        raise click.ClickException(refusal_text(error)) from error


def refusal_text(error: db.DomainError, locale: i18n.Locale | None = None) -> str:
    """The refusal's message and code, then a line for each problem it names: a file's rows
    (``problems`` with row and column), grants of a batch (``problems`` with grant) and a
    sheet's lines (``lines``); in ``locale``, by default the environment's."""
    locale = locale or i18n.from_environment()
    said = [f"{i18n.render(error.message, locale)} [{error.code}]"]
    said += [problem_line(problem, locale) for problem in error.figures.get("problems", [])]
    said += [
        "  "
        + _(
            "line {line} ({passbook_number}): {problem}",
            line=line["line"],
            passbook_number=line["passbook_number"],
            problem=line["problem"],
        ).render(locale)
        for line in error.figures.get("lines", [])
    ]
    return "\n".join(said)


def problem_line(problem: dict[str, Any], locale: i18n.Locale | None = None) -> str:
    """One problem of a refusal on a line of its own, in ``locale`` (the environment's)."""
    locale = locale or i18n.from_environment()
    if "row" in problem and problem["column"]:
        where = _("row {row}, {column}", row=problem["row"], column=problem["column"])
    elif "row" in problem:
        where = _("row {row}, the file", row=problem["row"])
    else:
        where = _("grant {grant}", grant=problem.get("grant"))
    who = f"{problem['passbook']}: " if problem.get("passbook") else ""
    message = i18n.render(problem["message"], locale)
    return f"  {where.render(locale)} ({problem['code']}): {who}{message}"
