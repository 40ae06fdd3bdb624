"""Checkpoints in the ledger: a signed body checks only with the signer's key and only
unchanged, and verify_checkpoint names every way an account can fail to extend one."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

import pytest

import ledger
from ledger.errors import BooksBroken, InvalidCheckpoint, SignatureInvalid
from tests.ledger.conftest import Books, read
from tests.ledger.test_verify import execute

MOMENT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


async def taken(books: Books) -> ledger.Checkpoint:
    return await read(books.engine, lambda conn: ledger.make_checkpoint(conn, now=MOMENT))


async def test_a_checkpoint_holds_every_chain_head_and_the_books_digest(books: Books) -> None:
    await books.post([(books.issuance, -10), (books.alice, 10)])
    checkpoint = await taken(books)
    report = await read(books.engine, ledger.verify_books)
    assert checkpoint.digest == report.digest
    assert checkpoint.taken_at == "2026-12-01T08:30:00.000000"
    heads = {h.account_id: h for h in checkpoint.heads}
    assert (heads[books.alice].seq, heads[books.bob].seq) == (1, 0)
    alice = await read(books.engine, lambda conn: ledger.get_balance(conn, books.alice))
    assert heads[books.alice].head != heads[books.bob].head
    assert alice.posting_count == 1
    assert ledger.checkpoint_from_body(checkpoint.body()) == checkpoint


async def test_a_signature_checks_only_unchanged_and_with_the_signers_key(books: Books) -> None:
    key, other = ledger.new_private_key(), ledger.new_private_key()
    signed = ledger.sign_checkpoint(await taken(books), key)
    public = ledger.public_key_pem(key.public_key()).decode()
    assert ledger.check_signature(signed, public_key=public).digest == signed.body["books_digest"]
    pinned = ledger.check_signature(signed, expected_fingerprint=signed.fingerprint[:16])
    assert pinned.digest == signed.body["books_digest"]

    stranger = ledger.public_key_hex(other.public_key())
    with pytest.raises(SignatureInvalid):
        ledger.check_signature(signed, public_key=stranger)
    with pytest.raises(SignatureInvalid, match="not the published"):
        ledger.check_signature(signed, expected_fingerprint=ledger.fingerprint(stranger))
    with pytest.raises(SignatureInvalid, match="not the published"):
        ledger.check_signature(signed, expected_fingerprint=signed.fingerprint[:8])
    moved = {**signed.body, "taken_at": "2020-01-01T00:00:00.000000"}
    with pytest.raises(SignatureInvalid):
        ledger.check_signature(dataclasses.replace(signed, body=moved), public_key=public)


def test_a_malformed_or_altered_body_is_refused() -> None:
    head = {"id": 1, "kind": "passbook", "owner_ref": "volunteer:a", "seq": 0, "head": "0" * 64}
    text = f"{head['id']}:{head['seq']}:{head['head']};"
    good = {"version": 1, "taken_at": "t", "accounts": [head], "books_digest": sha256(text)}
    assert ledger.checkpoint_from_body(good).digest == good["books_digest"]
    for body, says in (
        ({**good, "version": 2}, "version"),
        ({**good, "books_digest": "1" * 64}, "does not match"),
        ({**good, "accounts": [head, head]}, "twice"),
        ({**good, "accounts": [{**head, "head": "short"}]}, "SHA-256"),
        ({k: v for k, v in good.items() if k != "accounts"}, "malformed"),
    ):
        with pytest.raises(InvalidCheckpoint, match=says):
            ledger.checkpoint_from_body(body)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_verify_checkpoint_names_every_account_that_does_not_extend_it(
    books: Books,
) -> None:
    await books.post([(books.issuance, -10), (books.alice, 10)])
    checkpoint = await taken(books)
    await books.post([(books.issuance, -5), (books.bob, 5)])

    async def check(heads: tuple[ledger.ChainHead, ...]) -> ledger.CheckpointReport:
        crafted = dataclasses.replace(checkpoint, heads=heads)
        return await read(books.engine, lambda conn: ledger.verify_checkpoint(conn, crafted))

    report = await check(checkpoint.heads)
    assert (report.ok, report.rewritten) == (True, [])

    by_id = {h.account_id: h for h in checkpoint.heads}
    alice, carol = by_id[books.alice], by_id[books.carol]
    crafted = (
        dataclasses.replace(alice, head="f" * 64),
        dataclasses.replace(carol, seq=3, head="a" * 64),
        dataclasses.replace(by_id[books.bob], owner_ref="volunteer:mallory"),
        ledger.ChainHead(999_999, "passbook", "volunteer:gone", 2, "b" * 64),
    )
    report = await check(crafted)
    reasons = {r.account_id: str(r.reason) for r in report.rewritten}
    assert reasons == {
        books.alice: "posting 1 no longer has the checkpointed chain hash: history was rewritten",
        books.carol: "has 0 postings, the checkpoint saw 3",
        books.bob: "the account is now passbook volunteer:bob",
        999_999: "the account is gone",
    }
    assert (report.ok, report.extends, report.books.ok) == (False, False, True)


async def test_books_that_do_not_verify_get_no_checkpoint(books: Books) -> None:
    await books.post([(books.issuance, -10), (books.alice, 10)])
    await execute(books, "UPDATE ledger_account SET posted = posted + 1 WHERE kind = 'passbook'")
    with pytest.raises(BooksBroken):
        await taken(books)
