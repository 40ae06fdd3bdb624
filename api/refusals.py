"""The API's own refusals, made before any use case runs: a missing token, a body too deeply
nested to read, a missing Idempotency-Key.

Invariant: every refusal the API itself writes is a :class:`Refusal`, an HTTP exception that
carries its sentence as a catalogue :class:`i18n.Message`; :mod:`api.problems` shows that
message in the reader's language (``detail`` keeps the English, for logs). A use case's
refusal is a :class:`db.DomainError` instead, and the framework's own texts are replaced by
:mod:`api.problems`, so no English the reader did not ask for leaves the service.
"""

from __future__ import annotations

from litestar.exceptions import HTTPException

from i18n import Message, _

MAX_CLIENT_KEY = 100
"""The longest Idempotency-Key a client may send."""
KEY_NEEDED = _(
    "Send an Idempotency-Key header (1 to {most} characters, a fresh UUID per new request; "
    "repeat it only to retry the same request).",
    most=MAX_CLIENT_KEY,
)


class Refusal(HTTPException):
    """A request the API refuses with ``status_code`` and ``message``."""

    def __init__(
        self, status_code: int, message: Message, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail=str(message), status_code=status_code, headers=headers)
        self.message = message


__all__ = ["KEY_NEEDED", "MAX_CLIENT_KEY", "Refusal"]
