"""``passbook init`` and the demo rule: real books are opened once, and the demo stays a demo.

``passbook init`` migrates the database and opens empty books (:func:`office.open_books`):
the street, the books row and the first admin token, printed once. ``passbook serve`` loads
the demo only on the embedded default database file or when told to (:func:`demo_wanted`),
and the demo refuses books that are not its own (:func:`seeds.demo_refusal`).
"""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

import db
import migrations
import office
from cli.options import database_option, run_use_case, settings_for
from community.services import OPERATOR
from config import DEFAULT_DATABASE_URL


def demo_wanted(demo: bool | None, database_url: str) -> bool:
    """Whether ``passbook serve`` loads the demo: ``--demo`` always tries, ``--no-demo``
    never, and by default only on the embedded default database file."""
    if demo is not None:
        return demo
    return database_url == DEFAULT_DATABASE_URL


async def load_demo_into(url: str) -> str | None:
    """Load the demo into the database at ``url``, and give the demo volunteer its PIN so the
    pages can be tried; returns why it was refused (nothing written), or None when loaded."""
    from seeds import DemoRefused, give_demo_pin, load_demo

    engine = db.create_engine(url)
    try:
        await load_demo(engine)
        await give_demo_pin(engine)
    except DemoRefused as refused:
        return refused.message
    finally:
        await engine.dispose()
    return None


def _url_option(url: str) -> str:
    if url == DEFAULT_DATABASE_URL:
        return ""
    shown = make_url(url).render_as_string(hide_password=True)
    return f" --database-url '{shown}'"


@click.command("init")
@database_option
@click.option("--street", "street_code", required=True, help="The street's code, e.g. yanshan.")
@click.option("--name", "street_name", required=True, help="The street's name, e.g. 燕山街道.")
def init(database_url: str | None, street_code: str, street_name: str) -> None:
    """Open real books on an empty database: the street and its first admin token (printed
    once). Refused, writing nothing, on books that already hold data."""
    settings = settings_for(database_url)
    migrations.upgrade(settings.database_url)
    opened = run_use_case(
        database_url,
        lambda tx: tx.write(
            office.open_books, OPERATOR, street_code=street_code, street_name=street_name
        ),
    )
    url = _url_option(settings.database_url)
    street = opened.street
    click.echo(
        f"Books opened for {street.name} ({street.code}).\n\n"
        "The first admin's token, over the whole street. It is shown only now and stored only "
        "as a hash: keep it somewhere safe.\n\n"
        f"    {opened.token}\n\n"
        "What next:\n"
        f"  passbook org add{url} --kind community --parent {street.code} --code CODE --name NAME\n"
        f"  passbook org add{url} --kind grid --parent COMMUNITY --code CODE --name NAME\n"
        f"  passbook serve{url}{' --no-demo' if not url else ''}\n"
        "  curl -H 'Authorization: Bearer <the token above>' "
        "http://127.0.0.1:8000/api/org-units\n"
        "These books never load the demo and never accept a demo token."
    )
