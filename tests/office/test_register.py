"""The register of credentials: who sees and revokes which, revocation for good (also when two
race), a moved-away volunteer's tokens revoked for good, and noting a token's use."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

import access
import community
import db
import office
from access import Principal, Role
from community import services
from scheme_time import utcnow
from tests.office.conftest import ESTATE, GRID_1, STREET, admin_of

OPERATOR = services.OPERATOR


async def make(tx: db.Transactions, role: Role, scope: str, **kw: object) -> int:
    issued = await tx.write(
        office.issue_credential, OPERATOR, role=role, scope=scope, label=f"{role} {scope}", **kw
    )
    return issued.principal.token_id


@pytest.fixture
async def ids(tx: db.Transactions) -> dict[str, int]:
    return {
        "street-admin": await make(tx, Role.ADMIN, "street"),
        "estate-admin": await make(tx, Role.ADMIN, "estate"),
        "grid-1-admin": await make(tx, Role.ADMIN, "grid-1"),
        "grid-3-admin": await make(tx, Role.ADMIN, "grid-3"),
        "estate-auditor": await make(tx, Role.AUDITOR, "estate"),
        "g1-council": await make(tx, Role.COUNCIL, "g1-a"),
        "g3-council": await make(tx, Role.COUNCIL, "g3-a"),
        "volunteer": await make(tx, Role.VOLUNTEER, "TST-0001"),
        "volunteer-3": await make(tx, Role.VOLUNTEER, "TST-0003"),
        "merchant": await make(tx, Role.MERCHANT, "market"),
    }


async def listed(tx: db.Transactions, who: Principal, **kw: object) -> list[int]:
    found = await tx.read(office.list_credentials, who, **kw)
    return [r.id for r in found.page.items]


async def test_an_admin_sees_the_credentials_of_their_unit_only(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    everything = await listed(tx, OPERATOR)
    assert everything == sorted(ids.values(), reverse=True)
    estate = {
        ids[k]
        for k in ("estate-admin", "grid-1-admin", "estate-auditor", "g1-council", "volunteer")
    }
    assert set(await listed(tx, admin_of(ESTATE))) == estate
    assert set(await listed(tx, admin_of(STREET))) == set(ids.values())
    grid = await listed(tx, admin_of(GRID_1))
    assert set(grid) == {ids["grid-1-admin"], ids["g1-council"], ids["volunteer"]}
    # narrowed by role and by what it was made for
    assert await listed(tx, admin_of(ESTATE), role=Role.COUNCIL) == [ids["g1-council"]]
    assert await listed(tx, OPERATOR, scope="g1-a") == [ids["g1-council"]]
    assert await listed(tx, OPERATOR, scope="TST-0001") == [ids["volunteer"]]
    assert await listed(tx, OPERATOR, scope="market") == [ids["merchant"]]
    assert set(await listed(tx, OPERATOR, scope="grid-1")) == {
        ids["grid-1-admin"],
        ids["g1-council"],
    }


async def test_an_admin_cannot_list_what_lies_outside_their_unit(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    estate = admin_of(ESTATE)
    for scope in ("grid-3", "other", "street", "g3-a", "TST-0003", "market"):
        with pytest.raises(access.CredentialOutOfReach):
            await listed(tx, estate, scope=scope)
    for role in (Role.AUDITOR, Role.COUNCIL, Role.MERCHANT, Role.VOLUNTEER):
        who = Principal(token_id=5, role=role, scope=STREET, label="x", member_id=1)
        with pytest.raises(access.Forbidden):
            await listed(tx, who)


async def test_the_listing_pages_and_shows_inactive_ones_only_when_asked(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    first = await tx.read(office.list_credentials, OPERATOR, limit=4)
    assert len(first.page.items) == 4
    assert first.page.earlier == first.page.items[-1].id
    rest = await listed(tx, OPERATOR, before=first.page.earlier, limit=100)
    assert [r.id for r in first.page.items] + rest == sorted(ids.values(), reverse=True)

    expired = await make(tx, Role.ADMIN, "grid-1")
    await _sql(tx, "UPDATE api_token SET expires_at = created_at WHERE id = :id", id=expired)
    await tx.write(office.revoke_credential, OPERATOR, token_id=ids["grid-3-admin"])
    await tx.write(services.step_down_council_member, admin_of(STREET), code="g3-a")
    live = await listed(tx, OPERATOR)
    assert {expired, ids["grid-3-admin"], ids["g3-council"]}.isdisjoint(live)
    every = await tx.read(office.list_credentials, OPERATOR, include_inactive=True)
    states = {r.id: r.state(every.now) for r in every.page.items}
    assert states[expired] is access.TokenState.EXPIRED
    assert states[ids["grid-3-admin"]] is access.TokenState.REVOKED
    assert states[ids["g3-council"]] is access.TokenState.HOLDER_GONE
    assert states[ids["volunteer"]] is access.TokenState.ACTIVE


async def test_an_admin_revokes_what_they_could_issue_and_the_token_stops_at_once(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    estate = admin_of(ESTATE, token_id=ids["estate-admin"])
    for key in ("grid-1-admin", "estate-auditor", "g1-council", "volunteer"):
        done = await tx.write(office.revoke_credential, estate, token_id=ids[key])
        assert done.revoked_now
        assert done.record.revoked_by == estate.actor
        assert done.record.revoked_at is not None
    for key in ("estate-admin", "street-admin", "grid-3-admin", "g3-council", "merchant"):
        with pytest.raises(access.CredentialOutOfReach):
            await tx.write(office.revoke_credential, estate, token_id=ids[key])
    with pytest.raises(access.TokenNotFound):
        await tx.write(office.revoke_credential, estate, token_id=10**9)
    street = admin_of(STREET)
    assert (await tx.write(office.revoke_credential, street, token_id=ids["merchant"])).revoked_now
    assert (
        await tx.write(office.revoke_credential, street, token_id=ids["estate-admin"])
    ).revoked_now
    rows = await tx.read(office.list_credentials, OPERATOR, include_inactive=True)
    revoked = {r.id for r in rows.page.items if r.revoked_at is not None}
    assert revoked == {
        ids[k]
        for k in (
            "grid-1-admin",
            "estate-auditor",
            "g1-council",
            "volunteer",
            "merchant",
            "estate-admin",
        )
    }


async def test_revoking_twice_or_at_once_revokes_once(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    token_id = ids["grid-1-admin"]
    first, second = admin_of(ESTATE, token_id=1), admin_of(STREET, token_id=2)
    done = await asyncio.gather(
        tx.write(office.revoke_credential, first, token_id=token_id),
        tx.write(office.revoke_credential, second, token_id=token_id),
    )
    assert sorted(d.revoked_now for d in done) == [False, True]
    winner = next(d for d in done if d.revoked_now)
    assert {(d.record.revoked_at, d.record.revoked_by) for d in done} == {
        (winner.record.revoked_at, winner.record.revoked_by)
    }
    again = await tx.write(office.revoke_credential, OPERATOR, token_id=token_id)
    assert not again.revoked_now
    assert again.record.revoked_by == winner.record.revoked_by


async def test_moving_away_revokes_the_passbooks_tokens_for_good(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    signed = (await _sign_in(tx)).token
    made = (
        await tx.write(
            office.issue_credential, OPERATOR, role=Role.VOLUNTEER, scope="TST-0001", label="x"
        )
    ).token
    assert await tx.read(access.find_principal, signed) is not None
    grid_worker = admin_of(GRID_1)
    await tx.write(
        services.set_volunteer_status, grid_worker, number="TST-0001", status="moved_away"
    )
    await tx.write(services.set_volunteer_status, grid_worker, number="TST-0001", status="active")
    for raw in (signed, made):
        assert await tx.read(access.find_principal, raw) is None
    rows = await tx.read(office.list_credentials, OPERATOR, scope="TST-0001", include_inactive=True)
    assert {r.revoked_by for r in rows.page.items} == {grid_worker.actor}
    # the other volunteer's token is untouched
    assert await listed(tx, OPERATOR, scope="TST-0003") == [ids["volunteer-3"]]


async def test_reactivating_revokes_a_token_left_from_before(tx: db.Transactions) -> None:
    raw = (
        await tx.write(
            office.issue_credential, OPERATOR, role=Role.VOLUNTEER, scope="TST-0001", label="x"
        )
    ).token
    # moved away before tokens were revoked on moving away: the token was only hidden
    await _sql(tx, "UPDATE volunteer SET status = 'moved_away' WHERE passbook_number = 'TST-0001'")
    assert await tx.read(access.find_principal, raw) is None
    await tx.write(
        services.set_volunteer_status, admin_of(STREET), number="TST-0001", status="active"
    )
    assert await tx.read(access.find_principal, raw) is None


async def test_a_tokens_use_is_noted_at_most_every_few_minutes(
    tx: db.Transactions, ids: dict[str, int]
) -> None:
    token_id, now = ids["grid-1-admin"], utcnow()
    assert access.use_is_due(None, now)
    assert await tx.write(access.note_use, token_id, now)
    soon = now + access.USE_NOTED_EVERY - timedelta(seconds=1)
    assert not access.use_is_due(now, soon)
    assert not await tx.write(access.note_use, token_id, soon)  # racing requests write once
    later = now + access.USE_NOTED_EVERY
    assert access.use_is_due(now, later)
    assert await tx.write(access.note_use, token_id, later)
    record = await tx.read(access.get_token, token_id)
    assert record.last_used_at == later


async def _sign_in(tx: db.Transactions) -> services.SignedIn:
    await tx.write(community.set_pin, "TST-0001", "480613")
    attempt = await services.sign_in(
        tx, passbook_number="TST-0001", pin="480613", address="127.0.0.1"
    )
    return attempt.accepted()


async def _sql(tx: db.Transactions, statement: str, **params: object) -> None:
    async def run(conn: db.Connection) -> None:
        await conn.execute(text(statement), params)

    await tx.write(run)
