"""What every route module shares: the injected principal and transactions, id bounds and
idempotency keys.

A handler declares ``principal: NamedDependency[Principal]`` (who calls, from the bearer
token), ``tx: NamedDependency[db.Transactions]`` (runs one use case in one transaction) and,
where it needs them, ``settings: NamedDependency[Settings]``; all are provided once, here, for
the whole app (:data:`DEPENDENCIES`)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import HeaderParameter, PathParameter

import db
from access import Principal
from api.refusals import KEY_NEEDED, MAX_CLIENT_KEY, Refusal
from config import Settings

IDEMPOTENCY_HEADER = "Idempotency-Key"
# The largest id or line number the database holds (BIGINT); a larger one in a request is
# refused as invalid instead of overflowing the driver.
MAX_ID = 2**63 - 1
# Bounds are floats to the framework; the document states them exactly (2**63 - 1 as a float
# is 2**63, one too many).
EXACT_MAX_ID = {"maximum": MAX_ID}
EntryIdPath = Annotated[
    int, PathParameter(ge=-MAX_ID, le=MAX_ID, schema_extra={"minimum": -MAX_ID, **EXACT_MAX_ID})
]
IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, schema_extra=EXACT_MAX_ID)]
# The Idempotency-Key header as the OpenAPI document shows it. The handler reads it with
# client_key() below, whose refusal says what to send; schema_extra only documents the
# bounds, so the framework's generic message never replaces that one.
_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_CLIENT_KEY, "oneOf": None}
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_HEADER,
        required=True,
        description="a fresh UUID per new request; repeat it only to retry the same request",
        schema_extra=_KEY_SCHEMA,
    ),
]
OptionalIdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_HEADER,
        required=False,
        description="makes a retry safe: a fresh UUID per new request, repeated only to retry it",
        schema_extra=_KEY_SCHEMA,
    ),
]


def provide_transactions(state: State) -> db.Transactions:
    transactions: db.Transactions = state.transactions
    return transactions


def provide_principal(request: Request[Principal, str, State]) -> Principal:
    return request.user


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def client_key(principal: Principal, sent: str | None) -> str:
    """The client's Idempotency-Key, namespaced by who sent it so two callers' keys never
    collide; ``sent`` is the header's value as the handler received it."""
    key = (sent or "").strip()
    if not key or len(key) > MAX_CLIENT_KEY:
        raise Refusal(422, KEY_NEEDED)
    return f"api:{principal.key_namespace()}:{key}"


def optional_client_key(principal: Principal, sent: str | None) -> str | None:
    """:func:`client_key` if the client sent a key, else None."""
    if not (sent or "").strip():
        return None
    return client_key(principal, sent)


DEPENDENCIES = {
    "tx": Provide(provide_transactions, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
}
