"""What ``passbook serve`` hands its workers: the default number of them per database, and
the settings every worker reads from the environment (one CSRF secret for all)."""

from __future__ import annotations

import os

import pytest

from cli import serving
from config import Settings

PG = "postgresql+asyncpg://passbook@db/passbook"
SQLITE = "sqlite+aiosqlite:///passbook.db"


def test_one_worker_per_core_on_postgresql_one_on_sqlite() -> None:
    assert serving.default_workers(PG) == (os.cpu_count() or 1)
    assert serving.default_workers(SQLITE) == 1


def test_the_workers_share_the_database_and_one_csrf_secret() -> None:
    settings = Settings(database_url=PG)
    several = serving.worker_environment(settings, 4)
    assert several["PASSBOOK_DATABASE_URL"] == PG
    assert len(several["PASSBOOK_CSRF_SECRET"]) >= 32
    # what the workers read back from it is the same settings
    assert Settings(**{k.removeprefix("PASSBOOK_").lower(): v for k, v in several.items()}) == (
        settings.model_copy(update={"csrf_secret": several["PASSBOOK_CSRF_SECRET"]})
    )
    assert "PASSBOOK_CSRF_SECRET" not in serving.worker_environment(settings, 1)


def test_a_secret_that_was_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSBOOK_CSRF_SECRET", "s" * 40)
    settings = Settings(database_url=SQLITE)
    assert "PASSBOOK_CSRF_SECRET" not in serving.worker_environment(settings, 2)
    assert settings.csrf_secret == "s" * 40
