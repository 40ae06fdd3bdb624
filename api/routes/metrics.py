"""``GET /metrics``: the service's metrics in Prometheus' text format.

Invariant: only a bearer token of the whole street's admin or auditor reads them (they carry
the books' figures by grid: points issued and redeemed), the same who may read the trial
balance; in multiprocess mode the answer sums every worker (:func:`observe.scrape`).
"""

from __future__ import annotations

from litestar import Response, get

import observe
from access import Role
from api.auth import METRICS_PATH, roles, whole_books


@get(
    METRICS_PATH,
    guards=[roles(Role.ADMIN, Role.AUDITOR), whole_books],
    tags=["service"],
    summary="The service's metrics (Prometheus text format); the street's admin or auditor",
    media_type="text/plain",
)
async def metrics() -> Response[bytes]:
    body, media_type = observe.scrape()
    return Response(content=body, media_type=media_type)


ROUTES = [metrics]

__all__ = ["ROUTES"]
