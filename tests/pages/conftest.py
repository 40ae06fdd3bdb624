"""The pages' tests run on the API tests' app: a fresh database with the demo data, and the
app in-process (litestar's test client keeps cookies like a browser)."""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401 - fixtures, used by name
    client,
    database_url,
    demo_engine,
)
