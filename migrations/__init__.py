"""Alembic migrations: the only way a Red Passbook schema is made, in tests too."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An alembic configuration for ``url`` that works from any working directory."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``. Runs its own event loop: call it from
    synchronous code (the CLI, a test fixture), not from inside a running loop."""
    command.upgrade(alembic_config(url), revision)


@cache
def head_revision() -> str:
    """The revision the newest migration brings a database to (read once from the files)."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None, "the migrations have one head"
    return head
