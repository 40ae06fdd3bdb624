"""What the hot writes ask of the database, counted (see docs/benchmarks.md, "The write
path, statement by statement"): a volunteer's redemption, a merchant's consume and a council
member's approval on the demo books, each after a warm-up request of its own kind by the same
token, so the token's use note
and first-time work are not counted. The tokens are minted ones, not the demo's: a demo token
costs one more statement (are these real books?) that no real till or phone pays.

The bounds are today's counts. A change that adds a statement fails here; one that removes a
statement must lower the bound, so the saving is kept. Each test checks the request's effect
before it counts, so it cannot pass on a request that did nothing. On PostgreSQL asyncpg logs a
BEGIN once it is sent, so in a failure's listing each BEGIN follows the first statement of its
transaction."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.helpers import balance, bearer, make_token, new_key, scalar, writing
from tests.api.rewards_helpers import redeem, redeemed, scan, stock_used
from tests.api.round_trips import round_trips
from tests.api.test_sheets import draft

Client = AsyncTestClient  # type: ignore[type-arg]
NUMBER = "YZS1-0001"  # the demo volunteer's passbook
REWARD = "tissues"  # a demo reward of the supermarket: 10 points, 200 in stock
POINTS = 10

# Today's counts: the statements SQLAlchemy runs (BEGIN, COMMIT and ROLLBACK left out), and on
# PostgreSQL every round trip, BEGIN and COMMIT included. Fewer than these fails too: lower the
# bound to what the change saved.
REDEEM_STATEMENTS = {"sqlite": 12, "postgresql": 12}
REDEEM_ROUND_TRIPS = 14
CONSUME_STATEMENTS = {"sqlite": 14, "postgresql": 10}  # PostgreSQL posts in one function call
CONSUME_ROUND_TRIPS = 12
# after the posting only the sheet's update and the commit: the grid's issuance account is
# locked from the posting to the commit, so every round trip there holds up its other approvals
APPROVE_STATEMENTS = {"sqlite": 27, "postgresql": 23}
APPROVE_ROUND_TRIPS = 25

_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


def _listed(what: str, count: int, bound: int, seen: list[str]) -> str:
    lines = (" ".join(s.split())[:60] for s in seen)
    head = f"{count} {what}, today {bound}: more is a regression, fewer lowers the bound; sent:\n"
    return head + "\n".join(f"{i:3} {s}" for i, s in enumerate(lines, 1))


def _as_today(engine: AsyncEngine, seen: list[str], statements: dict[str, int], trips: int) -> None:
    dialect = engine.dialect.name
    ran = len([s for s in seen if s not in _CONTROL])
    assert ran == statements[dialect], _listed("statements", ran, statements[dialect], seen)
    if dialect == "postgresql":
        assert len(seen) == trips, _listed("round trips", len(seen), trips, seen)


async def _voucher_status(engine: AsyncEngine, grouped_code: str) -> str:
    found = await scalar(
        engine, "SELECT status FROM voucher WHERE code = :c", c=grouped_code.replace("-", "")
    )
    return str(found)


async def test_a_redemption_sends_no_more_statements_than_today(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, _id = await make_token(demo_engine, Role.VOLUNTEER, NUMBER)
    phone = bearer(raw)
    warm = await redeem(client, REWARD, headers=phone)
    assert warm.status_code == 201, warm.text
    before = await balance(client, NUMBER)
    stock_before = await stock_used(demo_engine, REWARD)
    engine: AsyncEngine = client.app.state.engine
    with round_trips(engine) as seen:
        response = await client.post(
            f"/api/rewards/{REWARD}/redemptions", json={}, headers=writing(phone)
        )
    assert response.status_code == 201, response.text
    assert response.json()["replayed"] is False
    (voucher,) = response.json()["vouchers"]
    assert await _voucher_status(demo_engine, voucher["code"]) == "issued"
    after = await balance(client, NUMBER)
    assert (after["held"], after["available"]) == (
        before["held"] + POINTS,
        before["available"] - POINTS,
    )
    assert await stock_used(demo_engine, REWARD) == stock_before + 1
    _as_today(engine, seen, REDEEM_STATEMENTS, REDEEM_ROUND_TRIPS)


async def test_a_consume_sends_no_more_statements_than_today(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, _id = await make_token(demo_engine, Role.MERCHANT, "market")
    till = bearer(raw)
    warm, counted = (await redeemed(client, REWARD, quantity=2))["vouchers"]
    used = await scan(client, "consume", warm["code"], writing(till))
    assert used.status_code == 200, used.text
    before = await balance(client, NUMBER)
    engine: AsyncEngine = client.app.state.engine
    with round_trips(engine) as seen:
        response = await client.post(
            "/api/scan/consume", json={"code": counted["code"]}, headers=writing(till, new_key())
        )
    assert response.status_code == 200, response.text
    assert (response.json()["verdict"], response.json()["replayed"]) == ("used", False)
    assert await _voucher_status(demo_engine, counted["code"]) == "used"
    after = await balance(client, NUMBER)
    assert (after["held"], after["posted"]) == (
        before["held"] - POINTS,
        before["posted"] - POINTS,
    )
    _as_today(engine, seen, CONSUME_STATEMENTS, CONSUME_ROUND_TRIPS)


async def test_an_approval_sends_no_more_statements_than_today(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """A second council member approves a submitted sheet of two lines (after a warm-up
    approval by the same token): the entry posts, the sheet is approved."""
    raw, _id = await make_token(demo_engine, Role.COUNCIL, "yzs-g1-b")
    member = bearer(raw)
    for _ in range(2):  # a warm-up, then the one counted
        sheet = await draft(client, [("YZS1-0001", 1), ("YZS1-0002", 1)], submit=True)
        points = sheet["lines"][1]["points"]
        before = await balance(client, "YZS1-0002")
        engine: AsyncEngine = client.app.state.engine
        with round_trips(engine) as seen:
            response = await client.post(f"/api/sheets/{sheet['id']}/approve", headers=member)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "approved"
        posted = (await balance(client, "YZS1-0002"))["posted"] - before["posted"]
        assert posted == points, (posted, points)  # the line alone: no bonus falls due
    _as_today(engine, seen, APPROVE_STATEMENTS, APPROVE_ROUND_TRIPS)
