"""The OpenAPI document describes the API that is actually served."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import AsyncTestClient

from pages.errors import is_page_path

Client = AsyncTestClient  # type: ignore[type-arg]

DOCS_PREFIX = "/schema"


async def _document(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _served(client: Client) -> dict[str, set[str]]:
    """Path (in OpenAPI spelling) -> methods, for every route but the docs' own and the pages'
    (people's screens, not part of the API)."""
    served: dict[str, set[str]] = {}
    for route in client.app.routes:
        if route.path.startswith(DOCS_PREFIX) or is_page_path(route.path):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        served.setdefault(path, set()).update(
            m.lower() for m in route.methods - {"OPTIONS", "HEAD"}
        )
    return served


async def test_the_document_lists_every_route(client: Client) -> None:
    document = await _document(client)
    served = _served(client)
    assert len(served) >= 8
    documented = {
        path: {key for key in item if key in {"get", "post", "put", "patch", "delete"}}
        for path, item in document["paths"].items()
    }
    assert documented == served

    for path, item in document["paths"].items():
        for method in documented[path]:
            operation = item[method]
            assert operation["summary"], (method, path)
            assert operation["responses"], (method, path)
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert names == set(re.findall(r"\{(\w+)\}", path)), (method, path)


async def test_the_statement_documents_its_paging(client: Client) -> None:
    operation = (await _document(client))["paths"]["/api/passbooks/{number}/statement"]["get"]
    query = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(query) == {"limit", "before", "after"}
    limit = query["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 20)


async def test_the_bearer_scheme_is_declared(client: Client) -> None:
    document = await _document(client)
    assert document["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert document["security"] == [{"BearerToken": []}]
    reversal = document["paths"]["/api/entries/{entry_id}/reversal"]["post"]
    assert "201" in reversal["responses"]


async def test_health_is_documented_as_open(client: Client) -> None:
    """/health needs no token, so its operation overrides the document's bearer requirement
    with one that allows anonymous calls (``[]`` or ``[{}]``); every other operation keeps it."""
    document = await _document(client)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            security = operation.get("security", document["security"])
            if path in {
                "/health",
                "/ready",
                "/api/sign-in",
                "/api/sign-in-codes/redemption",
                "/api/public/ballots/{code}",
                "/api/check-codes/verification",
            }:
                assert security in ([], [{}]), security
            else:
                assert {"BearerToken": []} in security, (method, path)
