"""One way to read a list a page at a time: ask the database for one row more than the page.

Invariant: ``earlier`` is set only when an older row really exists (the extra row came back),
so an exact last page never offers a page that is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    earlier: int | None
    """The cursor for the next (older) page, or None when this page is the last."""


def fetch_size(limit: int) -> int:
    """How many rows to ask for to fill a page of ``limit``: one more, to know if it is last."""
    return limit + 1


def page_of(rows: Sequence[T], limit: int, cursor: Callable[[T], int]) -> Page[T]:
    """The page out of ``rows`` fetched with :func:`fetch_size`, newest first."""
    items = list(rows[:limit])
    earlier = cursor(items[-1]) if len(rows) > limit and items else None
    return Page(items, earlier)
