"""Events held until their transaction commits.

Invariant: a callback given to :func:`note` inside a :func:`held` block runs once, after the
block's :meth:`Held.release` (called by the transaction once its commit succeeded), and never
if the block is left without it (a rollback, a retry, an error). Outside any block it runs at
once: the fact it counts is already final (a refused sign-in whose attempt was committed).
Blocks nest: an inner block releases its own events, the outer keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Held:
    """The events noted inside one :func:`held` block."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[Callable[[], None]] = []

    def release(self) -> None:
        """Count what was noted (the transaction committed); a second call counts nothing."""
        events = list(self.events)
        self.events.clear()
        for event in events:
            event()


_pending: ContextVar[Held | None] = ContextVar("observe_pending", default=None)


@contextmanager
def held() -> Iterator[Held]:
    """Hold what :func:`note` is given inside the block until :meth:`Held.release`."""
    block = Held()
    token = _pending.set(block)
    try:
        yield block
    finally:
        _pending.reset(token)
        block.events.clear()  # not released: dropped with the transaction


def note(event: Callable[[], None]) -> None:
    """Count ``event`` when the enclosing transaction commits (at once outside one)."""
    block = _pending.get()
    if block is None:
        event()
    else:
        block.events.append(event)
