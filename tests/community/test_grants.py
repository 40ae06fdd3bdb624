"""Opening balances and adjustments called as use cases, on both databases: one person
proposes, another confirms, and only the confirmation posts, once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import access
import community
import db
import ledger
import office
from access import Principal, Role
from community import services
from community.services import grants
from scheme_time import scheme_today

PAPER_DATE = date(2025, 6, 30)


@pytest.fixture
async def tx(engine: AsyncEngine) -> db.Transactions:
    async def use_case(conn: AsyncConnection) -> None:
        await community.add_org_unit(conn, code="street", name="街道", kind="street")
        await community.add_org_unit(
            conn, code="estate", name="小区", kind="community", parent_code="street"
        )
        for grid in ("grid-1", "grid-2"):
            await community.add_org_unit(
                conn, code=grid, name=grid, kind="grid", parent_code="estate"
            )
        for number, grid in (
            ("TST-0001", "grid-1"),
            ("TST-0002", "grid-1"),
            ("TST-0003", "grid-2"),
        ):
            await community.register_volunteer(
                conn, passbook_number=number, name=f"志愿者{number[-1]}", grid_code=grid
            )

    await db.run_in_transaction(engine, use_case)
    return db.Transactions(engine)


def staff(token_id: int, path: str = "street") -> Principal:
    return Principal(token_id=token_id, role=Role.ADMIN, scope=path, label=f"staff {token_id}")


ALICE, BOB = staff(1), staff(2)
GRID_2_WORKER = staff(3, "street/estate/grid-2")


async def balance(tx: db.Transactions, number: str) -> ledger.Balance:
    return (await tx.read(services.passbook_balance, ALICE, number=number)).balance


async def entries(engine: AsyncEngine) -> int:
    async with db.read_transaction(engine) as conn:
        return int(await conn.scalar(select(func.count()).select_from(text("ledger_entry"))) or 0)


async def propose(
    tx: db.Transactions, number: str = "TST-0001", **kwargs: object
) -> community.Grant:
    terms: dict[str, object] = {"points": 120, "as_of": PAPER_DATE} | kwargs
    principal = terms.pop("principal", ALICE)
    return await tx.write(services.propose_opening, principal, passbook_number=number, **terms)


async def test_one_proposes_another_confirms_and_the_statement_shows_the_paper_date(
    tx: db.Transactions, engine: AsyncEngine
) -> None:
    grant = await propose(tx)
    assert (grant.status, grant.kind, grant.proposer) == ("proposed", "opening", "token:1")
    assert (await balance(tx, "TST-0001")).posted == 0  # a proposal posts nothing
    before = await entries(engine)
    confirmed = await tx.write(services.confirm_grant, BOB, grant_id=grant.id)
    assert (confirmed.status, confirmed.decider, confirmed.replayed) == (
        "confirmed",
        "token:2",
        False,
    )
    assert confirmed.entry_id is not None
    again = await tx.write(services.confirm_grant, BOB, grant_id=grant.id)
    assert (again.replayed, again.entry_id) == (True, confirmed.entry_id)
    assert await entries(engine) == before + 1
    got = await balance(tx, "TST-0001")
    assert (got.posted, got.lifetime_earned) == (120, 120)  # paper points were earned
    page = (await tx.read(services.passbook_statement, ALICE, number="TST-0001")).page
    (line,) = page.lines
    assert (line.kind, line.amount, line.effective_date) == ("opening", 120, PAPER_DATE)
    assert line.memo == "纸质存折余额结转（纸质存折日期 2025-06-30）"
    entry = await tx.read(services.read_entry, ALICE, entry_id=confirmed.entry_id)
    issuance = [p for p in entry.postings if p.account_kind == community.ISSUANCE_KIND]
    assert [p.posting.amount for p in issuance] == [-120]
    assert entry.entry.actor == BOB.actor
    assert (await tx.read(services.verify_books, ALICE)).ok


async def test_the_proposer_cannot_confirm_and_no_points_move(
    tx: db.Transactions, engine: AsyncEngine
) -> None:
    grant = await propose(tx)
    before = await entries(engine)
    with pytest.raises(community.GrantFourEyes) as refused:
        await tx.write(services.confirm_grant, ALICE, grant_id=grant.id)
    assert refused.value.code == "four_eyes"
    assert "another staff member must confirm" in str(refused.value)
    # two tokens of one person at the command line are still one person
    cli = Principal(0, Role.ADMIN, "street", "王", recorded_as="cli:王")
    by_cli = await propose(tx, "TST-0002", principal=cli)
    with pytest.raises(community.GrantFourEyes):
        await tx.write(
            services.confirm_grant,
            Principal(0, Role.ADMIN, "street", "王", recorded_as="cli:王"),
            grant_id=by_cli.id,
        )
    assert await entries(engine) == before
    assert (await balance(tx, "TST-0001")).posted == 0
    assert (await tx.read(services.read_grant, BOB, grant_id=grant.id)).status == "proposed"


async def test_the_database_refuses_a_decider_who_proposed(
    engine: AsyncEngine, tx: db.Transactions
) -> None:
    grant = await propose(tx)
    with pytest.raises(Exception, match="four_eyes"):
        async with db.transaction(engine) as conn:
            await conn.execute(
                community.points_grant.update()
                .where(community.points_grant.c.id == grant.id)
                .values(decider="token:1")
            )


async def test_a_passbook_gets_one_opening_balance(tx: db.Transactions) -> None:
    first = await propose(tx)
    with pytest.raises(community.OpeningBalanceExists) as refused:
        await propose(tx, points=5, principal=BOB)
    assert refused.value.code == "opening_balance_exists"
    assert refused.value.figures == {"grant_id": first.id}
    assert f"grant {first.id}" in str(refused.value)
    await tx.write(services.confirm_grant, BOB, grant_id=first.id)
    with pytest.raises(community.OpeningBalanceExists):
        await propose(tx, points=5, principal=BOB)
    # adjustments are not limited
    for _ in range(2):
        await tx.write(
            services.propose_adjustment, ALICE, passbook_number="TST-0001", points=3,
            sheet_max_age_days=60,
            as_of=PAPER_DATE, reason="2025年春节慰问",
        )  # fmt: skip


async def test_a_passbook_whose_ledger_holds_an_opening_entry_gets_no_second(
    tx: db.Transactions, engine: AsyncEngine
) -> None:
    async def post_directly(conn: AsyncConnection) -> None:
        passbook = await community.find_passbook(conn, "TST-0002")
        grid = await community.find_org_unit(conn, "grid-1")
        assert passbook is not None
        assert grid is not None
        assert grid.issuance_account_id
        await ledger.post_entry(
            conn, idempotency_key="seed:opening", kind="opening", actor="seed",
            legs=[ledger.Leg(grid.issuance_account_id, -9), ledger.Leg(passbook.account_id, 9)],
        )  # fmt: skip

    await db.run_in_transaction(engine, post_directly)
    with pytest.raises(community.OpeningBalanceExists) as refused:
        await propose(tx, "TST-0002")
    entry_id = refused.value.figures["entry_id"]
    await tx.write(
        office.reverse_entry, ALICE, entry_id=entry_id, reason="wrong book", idempotency_key="r1"
    )
    made = await propose(tx, "TST-0002")  # a reversed opening entry no longer stands
    assert made.status == "proposed"


async def test_rejected_then_a_new_opening_is_allowed(tx: db.Transactions) -> None:
    wrong = await propose(tx, points=1200)
    withdrawn = await tx.write(services.reject_grant, ALICE, grant_id=wrong.id, reason="typo: 120")
    assert (withdrawn.status, withdrawn.withdrawn, withdrawn.decider) == ("rejected", True, None)
    again = await tx.write(services.reject_grant, BOB, grant_id=wrong.id, reason="typo")
    assert again.replayed
    with pytest.raises(community.GrantStateConflict):
        await tx.write(services.confirm_grant, BOB, grant_id=wrong.id)
    right = await propose(tx)
    rejected = await tx.write(services.reject_grant, BOB, grant_id=right.id, reason="date wrong")
    assert (rejected.withdrawn, rejected.decider) == (False, "token:2")
    third = await propose(tx, principal=BOB)
    confirmed = await tx.write(services.confirm_grant, ALICE, grant_id=third.id)
    with pytest.raises(community.GrantStateConflict):
        await tx.write(services.reject_grant, BOB, grant_id=confirmed.id, reason="too late")
    assert (await balance(tx, "TST-0001")).posted == 120


async def test_terms_are_checked(tx: db.Transactions) -> None:
    tomorrow = scheme_today() + timedelta(days=1)
    for terms in ({"points": 0}, {"as_of": tomorrow}, {"as_of": date(1999, 12, 31)}):
        with pytest.raises(community.InvalidGrant):
            await propose(tx, **terms)
    with pytest.raises(community.InvalidGrant, match="reason"):
        await tx.write(
            services.propose_adjustment, ALICE, passbook_number="TST-0001", points=3,
            sheet_max_age_days=60,
            as_of=PAPER_DATE, reason="  ",
        )  # fmt: skip
    adjustment = await tx.write(
        services.propose_adjustment, ALICE, passbook_number="TST-0001", points=3,
            sheet_max_age_days=60,
        as_of=PAPER_DATE, reason="敬老院探访",
    )  # fmt: skip
    assert adjustment.memo == "补记积分：敬老院探访（服务日期 2025-06-30）"


async def test_scope_and_roles(tx: db.Transactions) -> None:
    with pytest.raises(access.Forbidden):
        await propose(tx, principal=GRID_2_WORKER)
    grant = await propose(tx)
    for who in (GRID_2_WORKER, Principal(9, Role.AUDITOR, "street", "aud")):
        with pytest.raises(access.Forbidden) as refused:
            await tx.write(services.confirm_grant, who, grant_id=grant.id)
        assert "TST-0001" not in str(refused.value)
        with pytest.raises(access.Forbidden):
            await tx.write(services.reject_grant, who, grant_id=grant.id, reason="no")
    with pytest.raises(access.Forbidden):
        await tx.read(services.read_grant, GRID_2_WORKER, grant_id=grant.id)
    assert (await tx.read(services.list_grants, GRID_2_WORKER)).grants == []
    own = await propose(tx, "TST-0003", principal=GRID_2_WORKER)
    listed = await tx.read(services.list_grants, ALICE, status=community.GrantStatus.PROPOSED)
    assert [g.id for g in listed.grants] == [own.id, grant.id]


async def test_a_moved_away_volunteer_gets_no_grant(tx: db.Transactions) -> None:
    grant = await propose(tx)
    await tx.write(services.set_volunteer_status, ALICE, number="TST-0001", status="moved_away")
    with pytest.raises(community.GrantToMovedAway):
        await tx.write(services.confirm_grant, BOB, grant_id=grant.id)
    with pytest.raises(community.GrantToMovedAway):
        await tx.write(
            services.propose_adjustment, ALICE, passbook_number="TST-0001", points=3,
            sheet_max_age_days=60,
            as_of=PAPER_DATE, reason="x",
        )  # fmt: skip


async def test_an_idempotency_key_makes_one_proposal(tx: db.Transactions) -> None:
    first = await propose(tx, key="k1")
    again = await propose(tx, key="k1")
    assert (again.id, again.replayed) == (first.id, True)
    with pytest.raises(community.GrantKeyConflict):
        await propose(tx, key="k1", points=121)


async def test_a_batch_is_all_or_nothing_and_names_every_bad_row(
    tx: db.Transactions, engine: AsyncEngine
) -> None:
    In = community.OpeningIn
    bad = [
        In(2, "TST-0001", 120, PAPER_DATE),
        In(3, "TST-9999", 10, PAPER_DATE),
        In(4, "TST-0003", 0, scheme_today() + timedelta(days=1)),
        In(5, "TST-0001", 7, PAPER_DATE),
    ]
    with pytest.raises(community.InvalidGrant) as refused:
        await tx.write(services.propose_openings, GRID_2_WORKER, rows=bad, batch="paper-1")
    problems = refused.value.figures["problems"]
    assert {p["row"] for p in problems} == {2, 3, 4, 5}
    codes = {(p["row"], p["code"]) for p in problems}
    # outside the worker's grid and unknown are told alike: the file cannot probe numbers
    assert {(2, "forbidden"), (3, "forbidden"), (4, "invalid_grant")} <= codes
    assert len({p["message"] for p in problems if p["code"] == "forbidden"}) == 1
    assert (await tx.read(services.list_grants, ALICE)).grants == []
    good = [In(2, "TST-0001", 120, PAPER_DATE), In(3, "TST-0003", 40, date(2025, 7, 1))]
    made = await tx.write(services.propose_openings, ALICE, rows=good, batch="paper-1")
    assert [g.passbook_number for g in made] == ["TST-0001", "TST-0003"]
    replay = await tx.write(services.propose_openings, ALICE, rows=good, batch="paper-1")
    assert [g.id for g in replay] == [g.id for g in made]
    assert all(g.replayed for g in replay)
    with pytest.raises(community.GrantKeyConflict):
        await tx.write(services.propose_openings, ALICE, rows=good[:1], batch="paper-1")
    with pytest.raises(community.InvalidGrant) as again:
        await tx.write(services.propose_openings, ALICE, rows=good, batch="paper-2")
    assert {p["code"] for p in again.value.figures["problems"]} == {"opening_balance_exists"}
    with pytest.raises(community.GrantFourEyes):
        await tx.write(services.confirm_batch, ALICE, batch="paper-1")
    with pytest.raises(access.Forbidden):
        await tx.write(services.confirm_batch, GRID_2_WORKER, batch="paper-1")
    before = await entries(engine)
    confirmed = await tx.write(services.confirm_batch, BOB, batch="paper-1")
    assert [g.status for g in confirmed] == ["confirmed", "confirmed"]
    assert await entries(engine) == before + 2
    replayed = await tx.write(services.confirm_batch, BOB, batch="paper-1")
    assert all(g.replayed for g in replayed)
    assert await entries(engine) == before + 2
    assert (await balance(tx, "TST-0003")).posted == 40
    assert (await tx.read(services.verify_books, ALICE)).ok


async def test_a_batch_with_one_grant_the_confirmer_proposed_confirms_none(
    tx: db.Transactions, engine: AsyncEngine
) -> None:
    await propose(tx, "TST-0001", batch="mixed")
    await propose(tx, "TST-0002", batch="mixed", principal=BOB)
    before = await entries(engine)
    with pytest.raises(community.GrantFourEyes):
        await tx.write(services.confirm_batch, BOB, batch="mixed")
    assert await entries(engine) == before
    with pytest.raises(community.GrantNotFound):
        await tx.write(services.confirm_batch, BOB, batch="nosuch")


async def test_two_people_confirming_at_once_post_once(
    tx: db.Transactions, engine: AsyncEngine
) -> None:
    grant = await propose(tx)
    before = await entries(engine)
    results = await asyncio.gather(
        *(tx.write(services.confirm_grant, who, grant_id=grant.id) for who in (BOB, staff(4)) * 3),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    confirmed = [r for r in results if isinstance(r, community.Grant)]
    assert len({g.entry_id for g in confirmed}) == 1
    assert sum(not g.replayed for g in confirmed) == 1
    assert await entries(engine) == before + 1
    assert (await balance(tx, "TST-0001")).posted == 120
    assert (await tx.read(services.verify_books, ALICE)).ok


async def test_two_openings_proposed_at_once_make_one(tx: db.Transactions) -> None:
    results = await asyncio.gather(
        *(propose(tx, principal=who, points=100 + n) for n, who in enumerate((ALICE, BOB) * 3)),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, community.Grant)]
    refused = [r for r in results if isinstance(r, community.OpeningBalanceExists)]
    assert (len(made), len(refused)) == (1, 5), results
    assert grants.__name__ == "community.services.grants"
