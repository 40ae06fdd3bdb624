"""Signed checkpoints: proof for outsiders that history before a checkpoint was not rewritten.

Plain verify recomputes every hash, so someone who can write to the database and recomputes
every hash after a change consistently passes it. A checkpoint signed by the auditor, made
before the change, does not: the rewritten account's posting at the checkpointed sequence no
longer has the checkpointed chain hash, and the account is named.
"""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import ledger
from cli import main
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1
from tests.api.helpers import (
    assert_problem,
    execute,
    move_points,
    scalar,
    statement_lines,
    tamper,
    verify,
)
from tests.api.rewrite_helpers import rewrite_history

Client = AsyncTestClient  # type: ignore[type-arg]
SUBJECT = "YZS1-0001"
VERIFICATION = "/api/books/checkpoint/verification"


def text_of(path: Path | str) -> str:
    return Path(path).read_text(encoding="utf-8")


def png_of(path: str) -> bytes:
    return Path(path).read_bytes()


async def passbook(*args: str | Path) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, [str(a) for a in args])


async def keygen(folder: Path, name: str = "auditor.key") -> Path:
    key = folder / name
    result = await passbook("checkpoint", "keygen", "--out", key)
    assert result.exit_code == 0, result.output
    return key


async def take(database_url: str, key: Path, out: Path) -> dict[str, Any]:
    result = await passbook(
        "checkpoint", "--database-url", database_url, "--key", key, "--out", out
    )
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(text_of(out))
    return document


async def check(database_url: str, signed: Path, public_key: Path | None) -> Result:
    key = ["--public-key", public_key] if public_key else []
    return await passbook("verify", "--database-url", database_url, "--checkpoint", signed, *key)


async def test_a_checkpoint_is_signed_published_and_extended_by_new_postings(
    client: Client, demo_engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "auditor.key"
    made = await passbook("checkpoint", "keygen", "--out", key)
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = text_of(f"{key}.pub")
    fingerprint = ledger.fingerprint(public)
    assert f"Fingerprint (publish it): {fingerprint}" in made.stdout
    assert "PRIVATE" not in made.stdout
    again = await passbook("checkpoint", "keygen", "--out", key)
    assert again.exit_code == 1, "a key must never be overwritten"

    out = tmp_path / "checkpoint.json"
    result = await passbook(
        "checkpoint", "--database-url", database_url, "--key", key, "--out", out
    )
    assert result.exit_code == 0, result.output
    document = json.loads(text_of(out))
    body = document["checkpoint"]
    digest = (await verify(client))["digest"]
    assert body["books_digest"] == digest
    assert len(body["accounts"]) == await scalar(demo_engine, "SELECT count(*) FROM ledger_account")
    assert document["public_key"] == ledger.public_key_hex(ledger.load_public_key(public))
    short = f"digest {digest[:16]} sig {document['signature'][:16]} key {fingerprint[:16]}"
    assert short in result.stdout
    assert png_of(f"{out}.qr.png").startswith(b"\x89PNG")
    assert "█" in result.stdout  # the QR code, as text for the terminal

    await move_points(demo_engine, SUBJECT, 7)
    assert (await verify(client))["digest"] != digest, "the books moved on"
    extended = await check(database_url, out, Path(f"{key}.pub"))
    assert extended.exit_code == 0, extended.output
    assert "OK: today's books extend the checkpoint" in extended.stdout
    assert extended.stderr == ""

    unpinned = await check(database_url, out, None)
    assert unpinned.exit_code == 0, unpinned.output
    assert "WARNING: no --public-key given" in unpinned.stderr
    assert fingerprint in unpinned.stderr


async def test_a_consistent_rewrite_passes_plain_verify_but_not_the_checkpoint(
    client: Client, demo_engine: AsyncEngine, database_url: str, db_kind: db.Dialect,
    tmp_path: Path,
) -> None:  # fmt: skip
    key = await keygen(tmp_path)
    out = tmp_path / "checkpoint.json"
    document = await take(database_url, key, out)
    subject = await scalar(
        demo_engine, "SELECT id FROM ledger_account WHERE owner_ref = :o", o=f"volunteer:{SUBJECT}"
    )
    first = (await statement_lines(client, SUBJECT))[0]
    assert first["points"] > 0

    rewritten = await rewrite_history(demo_engine, db_kind, first["entry_id"], subject, 50)
    assert subject in rewritten
    assert (await statement_lines(client, SUBJECT))[0]["points"] == first["points"] + 50
    with pytest.raises(DBAPIError):  # the triggers are back
        await execute(demo_engine, "UPDATE ledger_posting SET amount = amount WHERE id = 1")

    plain = await passbook("verify", "--database-url", database_url)
    assert plain.exit_code == 0, plain.output
    assert "OK: the books balance and every chain is intact" in plain.stdout
    assert (await verify(client))["ok"] is True

    proof = await check(database_url, out, Path(f"{key}.pub"))
    assert proof.exit_code == 1, proof.output
    assert "Signature OK." in proof.stdout
    assert f"REWRITTEN: {len(rewritten)} account(s)" in proof.stderr
    assert f"account {subject} (passbook volunteer:{SUBJECT}): posting " in proof.stderr
    assert "history was rewritten" in proof.stderr
    assert "OK:" not in proof.stdout

    fingerprint = ledger.fingerprint(document["public_key"])
    answer = await client.post(
        VERIFICATION, json={"signed": document, "fingerprint": fingerprint}, headers=AUDITOR
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["ok"], found["extends"], found["books"]["ok"]) == (False, False, True)
    assert sorted(r["account_id"] for r in found["rewritten"]) == rewritten
    assert found["fingerprint"] == fingerprint


async def test_a_checkpoint_with_a_bad_signature_is_refused(
    client: Client, database_url: str, tmp_path: Path
) -> None:
    key = await keygen(tmp_path)
    out = tmp_path / "checkpoint.json"
    document = await take(database_url, key, out)
    public = Path(f"{key}.pub")

    forged = dict(document, signature=("0" if document["signature"][0] != "0" else "1")
                  + document["signature"][1:])  # fmt: skip
    altered = {**document, "checkpoint": {**document["checkpoint"], "taken_at": "2020-01-01"}}
    for name, bad in (("forged", forged), ("altered", altered)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bad), encoding="utf-8")
        refused = await check(database_url, path, public)
        assert refused.exit_code == 1, refused.output
        assert "signature does not verify" in refused.stderr, name
        assert "OK:" not in refused.stdout
        answer = await client.post(
            VERIFICATION, json={"signed": bad, "public_key": text_of(public)}, headers=ADMIN
        )
        assert_problem(answer, 422, "checkpoint_signature_invalid")

    other = await keygen(tmp_path, "other.key")
    wrong_key = await check(database_url, out, Path(f"{other}.pub"))
    assert wrong_key.exit_code == 1, wrong_key.output
    assert "signature does not verify" in wrong_key.stderr
    published = ledger.fingerprint(text_of(f"{other}.pub"))
    answer = await client.post(
        VERIFICATION, json={"signed": document, "fingerprint": published[:16]}, headers=AUDITOR
    )
    body = assert_problem(answer, 422, "checkpoint_signature_invalid")
    assert "not the published" in body["detail"]

    unpinned = await client.post(VERIFICATION, json={"signed": document}, headers=AUDITOR)
    assert_problem(unpinned, 422)


async def test_an_auditor_signs_the_api_checkpoint_offline(
    client: Client, database_url: str, tmp_path: Path
) -> None:
    taken = await client.get("/api/books/checkpoint", headers=AUDITOR)
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert body["books_digest"] == (await verify(client))["digest"]
    assert_problem(await client.get("/api/books/checkpoint", headers=COUNCIL_G1), 403)

    key = await keygen(tmp_path)
    body_file, out = tmp_path / "body.json", tmp_path / "signed.json"
    body_file.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    signed = await passbook("checkpoint", "sign", "--key", key, "--body", body_file, "--out", out)
    assert signed.exit_code == 0, signed.output
    document = json.loads(text_of(out))
    assert document["checkpoint"] == body

    public = text_of(f"{key}.pub")
    answer = await client.post(
        VERIFICATION, json={"signed": document, "public_key": public}, headers=AUDITOR
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["ok"], found["extends"], found["rewritten"]) == (True, True, [])
    assert found["accounts"] == len(body["accounts"])
    assert found["fingerprint"] == ledger.fingerprint(public)
    extended = await check(database_url, out, Path(f"{key}.pub"))
    assert extended.exit_code == 0, extended.output


async def test_no_checkpoint_is_made_of_books_that_do_not_verify(
    client: Client, demo_engine: AsyncEngine, database_url: str, db_kind: db.Dialect,
    tmp_path: Path,
) -> None:  # fmt: skip
    entry = (await statement_lines(client, SUBJECT))[0]["entry_id"]
    await tamper(demo_engine, db_kind, "ledger_entry", "memo = 'edited'", "id = :e", e=entry)

    assert_problem(await client.get("/api/books/checkpoint", headers=ADMIN), 409, "books_broken")
    out = tmp_path / "checkpoint.json"
    refused = await passbook(
        "checkpoint", "--database-url", database_url, "--key", await keygen(tmp_path),
        "--out", out,
    )  # fmt: skip
    assert refused.exit_code == 1, refused.output
    assert "The books do not verify" in refused.stderr
    assert not out.exists()
