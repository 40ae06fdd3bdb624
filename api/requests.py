"""The request class of the service: a JSON body nested too deeply is a client's error.

Invariant: no request body makes the service answer 500. msgspec (what litestar decodes JSON
with) refuses malformed JSON with an error litestar turns into 400, but JSON nested deeper than
Python's recursion limit (a 2 KB body of 1,000 ``[``) raises a ``RecursionError`` instead,
which no handler expected. :class:`PassbookRequest` turns exactly that, and only while the
body is decoded, into the same 400 (``bad_request``) a malformed body gets, said in the
reader's language (:class:`api.refusals.Refusal`), on every route, with or without a token; a
``RecursionError`` anywhere else stays an internal error.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.refusals import Refusal
from i18n import _

TOO_DEEP = _(
    "The request body is JSON nested too deeply to read; nothing was done. Send the fields "
    "the operation documents, nested as its schema shows."
)


class PassbookRequest(Request[Any, Any, Any]):
    """A litestar request whose JSON body, if nested too deeply, is refused as malformed."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            # Decoding reached no value: raised from the decoder, before any handler ran.
            raise Refusal(400, TOO_DEEP) from None


__all__ = ["TOO_DEEP", "PassbookRequest"]
