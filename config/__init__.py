"""Service settings, read from ``PASSBOOK_*`` environment variables when asked, never at import.

The API, the command line and the migrations read the same object; nothing here imports the
service, so the schema and the demo data do not depend on the web layer.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///passbook.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PASSBOOK_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://...",
    )
    db_pool_size: int = Field(default=10, ge=1, le=100)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    debug: bool = False
    sheet_max_age_days: int = Field(
        default=60,
        ge=1,
        le=366,
        description="How many days back a scoring sheet's activity date may lie.",
    )
    csrf_secret: str | None = Field(
        default=None,
        min_length=32,
        description="Signs the pages' CSRF tokens; when unset, a random secret per process "
        "(set one when several processes serve the pages).",
    )
    expiry_interval_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="How often the running service expires vouchers past their date; 0: never "
        "(run 'passbook expire' instead).",
    )
