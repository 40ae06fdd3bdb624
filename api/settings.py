"""Service settings, read from ``PASSBOOK_*`` environment variables when asked, never at import."""

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
