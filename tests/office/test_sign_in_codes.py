"""One-time sign-in codes (office.issue_sign_in_code, office.redeem_sign_in_code): a code
becomes one credential, once, within its life; wrong codes get one answer and are throttled
per address; the code is never stored; the database itself refuses a second use and a long
life."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

import access
import db
import office
from access import Principal, Role
from community import services
from office import _sign_in_codes as codes
from scheme_time import utcnow

OPERATOR = services.OPERATOR


async def issue(tx: db.Transactions, who: Principal, role: Role, scope: str, **kw: Any) -> Any:
    return await tx.write(office.issue_sign_in_code, who, role=role, scope=scope, **kw)


async def redeem(tx: db.Transactions, code: str, address: str = "10.0.0.1", **kw: Any) -> Any:
    return await tx.write(office.redeem_sign_in_code, code=code, address=address, **kw)


async def estate_admin(tx: db.Transactions) -> Principal:
    made = await tx.write(
        office.issue_credential, OPERATOR, role=Role.ADMIN, scope="estate", label="estate staff"
    )
    return made.principal


async def test_a_code_becomes_one_credential_once(tx: db.Transactions) -> None:
    issued = await issue(tx, OPERATOR, Role.MERCHANT, "market", label="Counter 1")
    assert len(issued.code) == 9
    assert issued.code[4] == "-"
    assert set(issued.code.replace("-", "")) <= set(codes.ALPHABET)
    assert issued.link_path == f"/signin/code/{issued.code}"
    assert issued.expires_at - issued.record.created_at == timedelta(minutes=10)

    # typed in lower case with spaces, the way a cashier might
    typed = " ".join(issued.code.lower().replace("-", ""))
    got = (await redeem(tx, typed, "10.0.0.7")).accepted()
    assert (got.principal.role, got.principal.scope) == (Role.MERCHANT, "market")
    assert got.record.created_by == "cli:operator"
    assert got.expires_at - got.record.created_at == timedelta(hours=12)
    found = await tx.read(access.find_principal, got.token)
    assert found is not None
    assert found.token_id == got.principal.token_id

    used = await tx.read(access.get_sign_in_code, issued.record.id)
    assert used.used_from == "10.0.0.7"
    assert used.api_token_id == got.record.id
    again = await redeem(tx, issued.code)
    assert again.issued is None
    assert isinstance(again.refusal, office.SignInCodeRefused)


async def test_a_code_expires(tx: db.Transactions) -> None:
    issued = await issue(tx, OPERATOR, Role.AUDITOR, "grid-3", valid_for=timedelta(minutes=2))
    later = issued.expires_at + timedelta(seconds=1)
    refused = await redeem(tx, issued.code, now=later)
    assert isinstance(refused.refusal, office.SignInCodeRefused)
    assert (await tx.read(access.get_sign_in_code, issued.record.id)).used_at is None


async def test_unknown_used_expired_and_revoked_codes_get_one_answer(tx: db.Transactions) -> None:
    used = await issue(tx, OPERATOR, Role.MERCHANT, "market")
    (await redeem(tx, used.code)).accepted()
    expired = await issue(tx, OPERATOR, Role.MERCHANT, "market", valid_for=timedelta(minutes=1))
    revoked = await issue(tx, OPERATOR, Role.MERCHANT, "market")
    await tx.write(office.revoke_sign_in_code, OPERATOR, code_id=revoked.record.id)
    unknown = "2345-6789" if "2345-6789" not in (used.code, revoked.code) else "ZZZZ-ZZZZ"
    answers = []
    for code, now in [
        (unknown, None),
        (used.code, None),
        (expired.code, utcnow() + timedelta(minutes=2)),
        (revoked.code, None),
    ]:
        refusal = (await redeem(tx, code, address=f"10.1.0.{len(answers)}", now=now)).refusal
        assert refusal is not None
        answers.append((type(refusal), refusal.code, refusal.category, str(refusal.message)))
    assert len(set(answers)) == 1, answers
    assert answers[0][1] == "sign_in_code_refused"


async def test_a_code_is_not_stored_in_clear(tx: db.Transactions) -> None:
    issued = await issue(tx, OPERATOR, Role.MERCHANT, "market", label="Counter 2")
    bare = issued.code.replace("-", "")
    async with db.read_transaction(tx.engine) as conn:
        rows = (await conn.execute(text("SELECT * FROM sign_in_code"))).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert bare not in stored
    assert issued.code not in stored
    assert access.hash_token(bare) in stored


async def test_a_grid_admin_issues_codes_only_within_their_reach(tx: db.Transactions) -> None:
    admin = await estate_admin(tx)
    with pytest.raises(access.CredentialOutOfReach):
        await issue(tx, admin, Role.AUDITOR, "grid-3")  # another community's grid
    with pytest.raises(access.CredentialOutOfReach):
        await issue(tx, admin, Role.ADMIN, "estate")  # their own unit: made from above
    with pytest.raises(access.CredentialOutOfReach):
        await issue(tx, admin, Role.VOLUNTEER, "TST-0001")
    with pytest.raises(access.UnknownScope):
        await issue(tx, admin, Role.AUDITOR, "nowhere")
    made = await issue(tx, admin, Role.ADMIN, "grid-1", label="grid-1 worker's phone")
    got = (await redeem(tx, made.code)).accepted()
    assert got.principal.scope == "street/estate/grid-1"
    assert got.record.created_by == admin.actor  # the code's issuer made the credential
    async with db.read_transaction(tx.engine) as conn:
        count = await conn.scalar(select(func.count()).select_from(access.sign_in_code))
    assert count == 1  # the refusals stored nothing


async def test_a_code_dies_with_its_issuers_credential(tx: db.Transactions) -> None:
    admin = await estate_admin(tx)
    made = await issue(tx, admin, Role.AUDITOR, "grid-1")
    await tx.write(office.revoke_credential, OPERATOR, token_id=admin.token_id)
    assert isinstance((await redeem(tx, made.code)).refusal, office.SignInCodeRefused)


async def test_a_life_out_of_bounds_is_refused(tx: db.Transactions) -> None:
    for life in (timedelta(minutes=61), timedelta(seconds=30)):
        with pytest.raises(office.SignInCodeLifeInvalid):
            await issue(tx, OPERATOR, Role.MERCHANT, "market", valid_for=life)
    longest = await issue(tx, OPERATOR, Role.MERCHANT, "market", valid_for=timedelta(hours=1))
    assert longest.expires_at - longest.record.created_at == timedelta(hours=1)


async def test_malformed_text_is_refused_and_not_counted(tx: db.Transactions) -> None:
    for typed in ("", "ABC", "OOOO-0000", "1234-IIII", "ABCD-EFGH-J"):
        with pytest.raises(office.SignInCodeMalformed):
            await redeem(tx, typed)
    assert await tx.read(db.throttles.held, codes.THROTTLE_SCOPE, "10.0.0.1") is None
    assert office.normalise_code("ａｂｃｄ－２３４５") == "ABCD2345"  # full-width input


async def test_guessing_is_throttled_per_address(tx: db.Transactions) -> None:
    issued = await issue(tx, OPERATOR, Role.MERCHANT, "market")
    wrong = "ZZZZ-ZZZZ" if issued.code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    now = utcnow()
    for _ in range(codes.FREE_WRONG_CODES):
        refusal = (await redeem(tx, wrong, "10.9.9.9", now=now)).refusal
        assert isinstance(refusal, office.SignInCodeRefused)
    waiting = (await redeem(tx, issued.code, "10.9.9.9", now=now)).refusal
    assert isinstance(waiting, office.SignInCodeThrottled)  # the right code waits too
    assert waiting.retry_after == 30
    assert (await tx.read(access.get_sign_in_code, issued.record.id)).used_at is None
    # another address is not slowed, and after the wait the right code works
    elsewhere = (await redeem(tx, wrong, "10.8.8.8", now=now)).refusal
    assert isinstance(elsewhere, office.SignInCodeRefused)
    later = now + timedelta(seconds=31)
    assert (await redeem(tx, issued.code, "10.9.9.9", now=later)).accepted().token


async def test_concurrent_exchanges_of_one_code_give_one_credential(tx: db.Transactions) -> None:
    issued = await issue(tx, OPERATOR, Role.MERCHANT, "market", label="race")
    async with db.read_transaction(tx.engine) as conn:
        before = await conn.scalar(select(func.count()).select_from(access.api_token))
    outcomes = await asyncio.gather(*(redeem(tx, issued.code, f"10.2.0.{n}") for n in range(8)))
    accepted = [o for o in outcomes if o.refusal is None]
    assert len(accepted) == 1
    assert all(isinstance(o.refusal, office.SignInCodeRefused) for o in outcomes if o.refusal)
    async with db.read_transaction(tx.engine) as conn:
        after = await conn.scalar(select(func.count()).select_from(access.api_token))
    assert after == before + 1


async def test_the_database_refuses_a_second_use_and_a_long_life(tx: db.Transactions) -> None:
    issued = await issue(tx, OPERATOR, Role.MERCHANT, "market")
    got = (await redeem(tx, issued.code)).accepted()
    table = access.sign_in_code
    # a used code cannot lose its credential (nor be used without one), nor be revoked
    for values in ({"api_token_id": None}, {"revoked_at": utcnow(), "revoked_by": "x"}):
        with pytest.raises(IntegrityError):
            async with db.transaction(tx.engine) as conn:
                await conn.execute(
                    table.update().where(table.c.id == issued.record.id).values(**values)
                )
    now = utcnow()
    with pytest.raises(IntegrityError):
        async with db.transaction(tx.engine) as conn:
            await access.store_sign_in_code(
                conn,
                code_hash="0" * 64,
                role=Role.MERCHANT,
                scope="market",
                label="too long",
                created_by="test",
                issued_with_token_id=None,
                created_at=now,
                expires_at=now + timedelta(minutes=61),
            )
    assert got.record.id is not None


async def test_admins_list_and_revoke_the_open_codes_they_could_issue(
    tx: db.Transactions,
) -> None:
    admin = await estate_admin(tx)
    mine = await issue(tx, admin, Role.AUDITOR, "grid-1")
    other = await issue(tx, OPERATOR, Role.AUDITOR, "grid-3")
    listed = await tx.read(office.list_sign_in_codes, admin)
    assert [r.id for r in listed] == [mine.record.id]
    assert {r.id for r in await tx.read(office.list_sign_in_codes, OPERATOR)} == {
        mine.record.id,
        other.record.id,
    }
    with pytest.raises(access.CredentialOutOfReach):
        await tx.write(office.revoke_sign_in_code, admin, code_id=other.record.id)
    done = await tx.write(office.revoke_sign_in_code, admin, code_id=mine.record.id)
    assert done.revoked_by == admin.actor
    with pytest.raises(office.SignInCodeNotOpen):
        await tx.write(office.revoke_sign_in_code, admin, code_id=mine.record.id)
    assert await tx.read(office.list_sign_in_codes, admin) == []
