"""The composition root: ``create_app(settings)`` wires the engine, auth, routes and errors.

Nothing connects at import time; the engine is made when the app starts and disposed when it
stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

import db
import pages
import rewards
from api.auth import BearerTokenMiddleware
from api.compression import static_compression
from api.docs import DOCS_PATH, DocsPage, docs_assets
from api.headers import security_headers
from api.observing import observe_requests
from api.problems import EXCEPTION_HANDLERS, ProblemResponses
from api.requests import PassbookRequest
from api.routes import DEPENDENCIES, ROUTES
from config import Settings

VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = db.create_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.transactions = db.Transactions(engine)
        # Vouchers past their date give their points back every so often (0: never; they
        # scan as expired all the same).
        expiry = (
            asyncio.create_task(
                rewards.expire_periodically(engine, settings.expiry_interval_seconds)
            )
            if settings.expiry_interval_seconds
            else None
        )
        try:
            yield
        finally:
            if expiry is not None:
                expiry.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await expiry
            await engine.dispose()

    app = Litestar(
        route_handlers=[*ROUTES, docs_assets(), *pages.PAGE_ROUTES],
        before_send=[security_headers],
        request_class=PassbookRequest,
        state=State({"settings": settings}),
        lifespan=[lifespan],
        dependencies=DEPENDENCIES,
        middleware=[
            # OPTIONS needs a token too (litestar lets it through by default): the guards
            # that answer it read the caller, and the service serves no browser preflights.
            DefineMiddleware(
                BearerTokenMiddleware,
                exclude=[
                    "^/schema",
                    "^/health",
                    "^/ready$",
                    "^/api/sign-in$",
                    "^/api/sign-in-codes/redemption$",
                    "^/api/public/",
                    "^/api/check-codes/verification$",
                ],
                exclude_http_methods=[],
            )
        ],
        # Errors on page paths are pages in the reader's language; the API's stay problems.
        exception_handlers=pages.exception_handlers(EXCEPTION_HANDLERS),
        template_config=pages.template_config(),
        csrf_config=pages.csrf_config(settings.csrf_secret),
        plugins=[ProblemResponses()],
        compression_config=static_compression(),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Red Passbook",
            version=VERSION,
            description=(
                "Points ledger and rewards exchange for community volunteer schemes. Every "
                "endpoint but /health and these docs needs 'Authorization: Bearer <token>'."
            ),
            path=DOCS_PATH,
            # Swagger UI from the package's own copy (api/static/docs), never from a CDN.
            render_plugins=[DocsPage(path=["/", "/swagger"])],
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"BearerToken": []}],
        ),
        debug=settings.debug,
    )
    # Outermost: every request gets an id, a latency and a log line (api/observing.py).
    return observe_requests(app)
