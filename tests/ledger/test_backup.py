"""Backup while the books are being written, restore into an empty database: the restored
books verify, and they are exactly the books of one moment the live books passed through."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
import ledger
from cli import main
from tests.ledger.conftest import Books, read


async def digest(engine_url: str) -> str:
    engine = db.create_engine(engine_url)
    try:
        async with db.read_transaction(engine) as conn:
            return (await ledger.make_checkpoint(conn)).digest
    finally:
        await engine.dispose()


async def test_a_backup_under_write_load_restores_to_books_of_one_moment(
    books: Books, database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    seen: list[str] = []  # the books' digest after each write, in order
    stop = asyncio.Event()
    backed_up = asyncio.Event()
    under_way = asyncio.Event()
    writes_after_backup = 0

    async def writer() -> None:
        nonlocal writes_after_backup
        n = 0
        while not stop.is_set():
            n += 1
            await books.award(books.passbooks[n % 3], 1 + n % 5)
            checkpoint = await read(books.engine, ledger.make_checkpoint)
            seen.append(checkpoint.digest)
            if len(seen) >= 5:
                under_way.set()
            if backed_up.is_set():
                writes_after_backup += 1
                if writes_after_backup >= 5:
                    stop.set()

    target = tmp_path / "books.backup"
    load = asyncio.create_task(writer())
    await asyncio.wait_for(under_way.wait(), timeout=60)  # the backup starts while writes go on
    started_at = len(seen)
    await asyncio.to_thread(db.backup, database_url, target)
    backed_up.set()
    await asyncio.wait_for(load, timeout=120)

    await asyncio.to_thread(db.restore, target, empty_database_url)
    engine = db.create_engine(empty_database_url)
    try:
        async with db.read_transaction(engine) as conn:
            report = await ledger.verify_books(conn)
    finally:
        await engine.dispose()
    assert report.ok, report.problems
    restored = await digest(empty_database_url)
    assert restored in seen  # the books of one moment, not a mixture of two
    assert seen.index(restored) >= started_at - 1  # the moment the backup began, or later
    assert restored != seen[-1]  # and the writes after it are not in it


async def test_restore_refuses_a_database_that_holds_books(
    books: Books, database_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "books.backup"
    await asyncio.to_thread(db.backup, database_url, target)
    with pytest.raises(db.BackupError):
        await asyncio.to_thread(db.restore, target, database_url)
    with pytest.raises(db.BackupError):  # nor overwrites a backup
        await asyncio.to_thread(db.backup, database_url, target)


async def test_a_file_that_is_no_backup_is_refused(empty_database_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    with pytest.raises(db.BackupError, match="not a Red Passbook backup"):
        await asyncio.to_thread(db.restore, junk, empty_database_url)


async def test_the_command_line_backs_up_restores_and_verifies(
    books: Books, database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    await books.award(books.alice, 7)
    target = tmp_path / "cli.backup"
    runner = CliRunner()
    made = await asyncio.to_thread(
        runner.invoke, main, ["backup", "--database-url", database_url, str(target)]
    )
    assert made.exit_code == 0, made.output
    loaded = await asyncio.to_thread(
        runner.invoke, main, ["restore", str(target), "--database-url", empty_database_url]
    )
    assert loaded.exit_code == 0, loaded.output
    assert f"Books digest {await digest(database_url)}" in loaded.output
