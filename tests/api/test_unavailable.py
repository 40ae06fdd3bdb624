"""When the database cannot be reached the service says so (503, Retry-After), instead of an
internal error, so a client knows to send the same request again with its key."""

from __future__ import annotations

import socket

from litestar.testing import AsyncTestClient

from api.app import create_app
from config import Settings
from tests.api.conftest import ADMIN
from tests.api.helpers import assert_problem, writing


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe is closed


async def test_an_unreachable_database_is_503_with_retry_after() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/passbook"
    async with AsyncTestClient(app=create_app(Settings(database_url=url))) as client:
        for response in (
            await client.get("/health"),
            await client.get("/api/me", headers=ADMIN),
            await client.post(
                "/api/rewards/tissues/redemptions", json={"quantity": 1}, headers=writing(ADMIN)
            ),
        ):
            body = assert_problem(response, 503, "database_unavailable")
            assert response.headers["retry-after"] == "5"
            assert "Idempotency-Key" in body["detail"]
