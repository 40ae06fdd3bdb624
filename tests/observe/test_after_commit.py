"""The books' counters count a fact once, and only after its transaction committed.

What it protects (:mod:`observe`, :func:`db.transaction`): an event noted in an attempt that
is rolled back, or retried, counts nothing; the retry that commits counts once; a note
outside any transaction counts at once; and nested transactions keep their own events.
Run on both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
import observe


class LostRace(db.Retryable):
    pass


async def test_a_retried_transaction_counts_once(engine: AsyncEngine) -> None:
    counted: list[int] = []
    attempts = 0

    async def use_case(conn: AsyncConnection) -> int:
        nonlocal attempts
        attempts += 1
        await conn.execute(text("SELECT 1"))
        observe.note(lambda: counted.append(attempts))
        if attempts < 3:
            raise LostRace()
        return attempts

    assert await db.run_in_transaction(engine, use_case) == 3
    assert counted == [3]


async def test_a_rolled_back_transaction_counts_nothing(engine: AsyncEngine) -> None:
    counted: list[str] = []

    async def use_case(conn: AsyncConnection) -> None:
        observe.note(lambda: counted.append("refused"))
        raise db.InvalidRequest("refused")

    with pytest.raises(db.InvalidRequest):
        await db.Transactions(engine).write(use_case)
    assert counted == []


async def test_nothing_counts_before_the_commit(engine: AsyncEngine) -> None:
    counted: list[str] = []
    async with db.transaction(engine) as conn:
        observe.note(lambda: counted.append("a"))
        await conn.execute(text("SELECT 1"))
        assert counted == []
    assert counted == ["a"]


def test_nested_blocks_keep_their_own_events() -> None:
    counted: list[str] = []
    with observe.held():  # the outer one is never released: rolled back
        observe.note(lambda: counted.append("outer"))
        with observe.held() as inner:
            observe.note(lambda: counted.append("inner"))
            inner.release()
            inner.release()  # a second release counts nothing more
        assert counted == ["inner"]
    assert counted == ["inner"]


def test_outside_a_transaction_a_note_counts_at_once() -> None:
    counted: list[str] = []
    observe.note(lambda: counted.append("now"))
    assert counted == ["now"]
