"""The sheet list through the API pages like every list: ``earlier`` only when an older sheet
exists, so the exact last page offers no empty page after it."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.api.conftest import COUNCIL_G1
from tests.api.test_sheets import days_ago, draft

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_an_exact_last_page_of_sheets_has_no_earlier_page(client: Client) -> None:
    made = [(await draft(client, [("YZS1-0001", 1)], day=days_ago(n)))["id"] for n in (1, 2)]
    drafts = {"status": "draft"}
    whole = await client.get("/api/sheets", headers=COUNCIL_G1, params={**drafts, "limit": 2})
    assert [s["id"] for s in whole.json()["sheets"]] == sorted(made, reverse=True)
    assert whole.json()["earlier"] is None
    first = await client.get("/api/sheets", headers=COUNCIL_G1, params={**drafts, "limit": 1})
    assert first.json()["earlier"] == max(made)
    last = await client.get(
        "/api/sheets",
        headers=COUNCIL_G1,
        params={**drafts, "limit": 1, "before": first.json()["earlier"]},
    )
    assert [s["id"] for s in last.json()["sheets"]] == [min(made)]
    assert last.json()["earlier"] is None
