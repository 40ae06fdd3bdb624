"""Bulk writes for scratch books: many accounts opened at once, exactly as one at a time, and
one-point entries loaded by SQL whose balances, sequences and running balances agree (only the
hash chain is left uncomputed, and verify_books says so)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from ledger import AccountId, Balance, Leg
from ledger.errors import AccountNotFound, InsufficientPoints, InvalidEntry
from tests.ledger.conftest import Books, read, run


async def open_many(
    books: Books, owners: list[str], *, kind: str = "passbook", allow_negative: bool = False
) -> list[AccountId]:
    async def use_case(conn: AsyncConnection) -> list[AccountId]:
        return await ledger.open_accounts(
            conn, kind=kind, owner_refs=owners, allow_negative=allow_negative
        )

    return await run(books.engine, use_case)


async def load(
    books: Books,
    source: AccountId,
    target: AccountId,
    entries: int,
    *,
    kind: str = "bulk",
    key_prefix: str = "bulk-",
) -> None:
    async def use_case(conn: AsyncConnection) -> None:
        await ledger.load_unchained_entries(
            conn,
            source=source,
            target=target,
            entries=entries,
            kind=kind,
            actor="loader",
            key_prefix=key_prefix,
        )

    await run(books.engine, use_case)


async def balances(books: Books, ids: list[AccountId]) -> dict[AccountId, Balance]:
    async def query(conn: AsyncConnection) -> dict[AccountId, Balance]:
        return await ledger.get_balances(conn, ids)

    return await read(books.engine, query)


async def test_open_accounts_opens_them_in_order_as_open_account_would(books: Books) -> None:
    owners = [f"volunteer:{n}" for n in range(1_234)]

    ids = await open_many(books, owners)

    assert len(set(ids)) == len(owners)
    found = await balances(books, ids)
    assert [found[i].owner_ref for i in ids] == owners
    assert {
        (b.kind, b.posted, b.held, b.lifetime_earned, b.posting_count) for b in found.values()
    } == {("passbook", 0, 0, 0, 0)}
    # The rows are like any other: an entry posts to them, and the books still verify.
    await books.award(ids[-1], 5)
    assert (await books.balance(ids[-1])).posted == 5
    assert (await books.verify()).ok


async def test_open_accounts_is_idempotent_and_keeps_an_existing_accounts_policy(
    books: Books,
) -> None:
    existing = await books.open("passbook", "volunteer:dan")

    ids = await open_many(
        books, ["volunteer:erin", "volunteer:dan", "volunteer:erin"], allow_negative=True
    )
    again = await open_many(books, ["volunteer:dan", "volunteer:erin"])

    assert ids[1] == existing
    assert ids[0] == ids[2] != existing
    assert again == [existing, ids[0]]
    # Dan's account was opened non-negative and stays so.
    with pytest.raises(InsufficientPoints):
        await books.transfer(existing, books.merchant, 1)
    assert await open_many(books, []) == []


@pytest.mark.parametrize(
    ("kind", "owners"),
    [("", ["a"]), ("x" * 33, ["a"]), ("passbook", [""]), ("passbook", ["a" * 129])],
)
async def test_open_accounts_refuses_a_malformed_kind_or_owner(
    books: Books, kind: str, owners: list[str]
) -> None:
    before = await books.snapshot()

    with pytest.raises(InvalidEntry):
        await open_many(books, ["fine", *owners], kind=kind)

    assert await books.snapshot() == before


async def test_loaded_entries_agree_with_the_balances_and_carry_on_from_them(
    books: Books,
) -> None:
    await books.award(books.alice, 10)

    await load(books, books.issuance, books.alice, 150, key_prefix="chunk-")
    await load(books, books.issuance, books.alice, 100, key_prefix="chunk-")

    alice = await books.balance(books.alice)
    assert (alice.posted, alice.lifetime_earned, alice.posting_count) == (260, 260, 251)
    issuance = await books.balance(books.issuance)
    assert (issuance.posted, issuance.posting_count) == (-260, 251)
    lines: list[ledger.StatementLine] = []
    before: int | None = None
    while True:

        async def query(conn: AsyncConnection, cursor: int | None = before) -> ledger.StatementPage:
            return await ledger.statement(conn, books.alice, limit=ledger.MAX_PAGE, before=cursor)

        page = await read(books.engine, query)
        lines = list(page.lines) + lines
        if page.earlier is None:
            break
        before = page.earlier
    assert [line.seq for line in lines] == list(range(1, 252))
    assert [line.balance_after for line in lines] == list(range(10, 261))
    assert {(line.amount, line.kind) for line in lines[1:]} == {(1, "bulk")}
    last = await books.entry(lines[-1].entry_id)
    assert last.idempotency_key == f"chunk-{last.id}"
    assert sorted(p.account_id for p in last.postings) == sorted([books.issuance, books.alice])
    assert (await read(books.engine, ledger.trial_balance)).balanced
    # The engine posts on after a load: new ids, the next sequence numbers.
    after = await books.award(books.alice, 3)
    assert after.id > last.id
    assert {p.account_id: p.account_seq for p in after.postings}[books.alice] == 252
    assert (await books.balance(books.alice)).posted == 263


async def test_verify_books_reports_the_loaded_postings(books: Books) -> None:
    await load(books, books.issuance, books.bob, 3)

    report = await books.verify()

    assert not report.ok


async def test_a_load_from_a_non_negative_account_stays_within_its_points(
    books: Books,
) -> None:
    await books.award(books.alice, 5)
    await load(books, books.alice, books.bob, 5)
    before = await books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        await load(books, books.alice, books.carol, 1)

    assert (refused.value.available, refused.value.needed) == (0, 1)
    assert await books.snapshot() == before
    assert (await books.balance(books.bob)).posted == 5


@pytest.mark.parametrize(
    ("entries", "same", "prefix", "kind"),
    [
        (0, False, "k-", "bulk"),
        (-3, False, "k-", "bulk"),
        (2, True, "k-", "bulk"),
        (2, False, " ", "bulk"),
        (2, False, "k" * 181, "bulk"),
        (2, False, "k-", ""),
    ],
)
async def test_a_malformed_load_is_refused_and_writes_nothing(
    books: Books, entries: int, same: bool, prefix: str, kind: str
) -> None:
    before = await books.snapshot()
    target = books.issuance if same else books.alice

    with pytest.raises(InvalidEntry):
        await load(books, books.issuance, target, entries, key_prefix=prefix, kind=kind)

    assert await books.snapshot() == before


async def test_a_load_to_an_account_that_does_not_exist_is_refused(books: Books) -> None:
    with pytest.raises(AccountNotFound):
        await load(books, books.issuance, AccountId(999_999), 2)


async def test_a_loaded_entry_is_an_ordinary_entry_that_can_be_reversed(books: Books) -> None:
    await load(books, books.issuance, books.carol, 2)
    alice_entry = await books.award(books.alice, 1)
    loaded = await books.entry(alice_entry.id - 1)
    assert loaded.kind == "bulk"
    assert [Leg(p.account_id, p.amount) for p in loaded.postings] == sorted(
        [Leg(books.issuance, -1), Leg(books.carol, 1)], key=lambda leg: leg.account_id
    )

    await books.reverse(loaded.id)

    assert (await books.balance(books.carol)).posted == 1
