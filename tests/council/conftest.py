"""Domain tests of council scoring on a fresh migrated database (no HTTP): the use cases of
:mod:`council.services` called directly, as the API and the command line call them.

The world: a street with one community and two grids; grid g1 has council members g1-a and
g1-b (g1-v also volunteers, passbook P-9), grid g2 has g2-a; volunteers P-1 and P-2 live in
g1, P-3 in g2. One savings rule, "visit": 5 points a visit, at most 2 visits a day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import council
import db
import ledger
from access import Principal, Role
from council import services

T = TypeVar("T")
NOW = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 on 10 November in the scheme's zone
DAY = date(2026, 11, 9)
MONTH = "2026-11"
MAX_AGE_DAYS = 60
MEMBERS = (("g1-a", "g1", None), ("g1-b", "g1", None), ("g1-v", "g1", "P-9"), ("g2-a", "g2", None))


def member(found: community.CouncilMember) -> Principal:
    """A council member as the one who acts, the way the command line makes one."""
    return Principal(
        token_id=0,
        role=Role.COUNCIL,
        scope=found.grid_path,
        label=found.code,
        member_id=found.id,
        recorded_as=f"test:{found.code}",
    )


def staff(scope: str, role: Role = Role.ADMIN) -> Principal:
    return Principal(token_id=0, role=role, scope=scope, label=f"{role} of {scope}")


@dataclass(frozen=True)
class World:
    tx: db.Transactions
    members: dict[str, Principal]
    paths: dict[str, str]  # org unit code -> path

    @property
    def admin(self) -> Principal:
        """Community staff of the whole street."""
        return staff(self.paths["street"])

    async def run(self, use_case: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        return await db.run_in_transaction(self.tx.engine, use_case)

    async def draft(
        self,
        lines: Sequence[tuple[str, int]] = (("P-1", 1),),
        *,
        by: str = "g1-a",
        day: date = DAY,
        submit: bool = True,
        key: str | None = None,
    ) -> council.Sheet:
        return await self.tx.write(
            services.draft_sheet,
            self.members[by],
            rule="visit",
            activity_date=day,
            place="3号楼",
            lines=[council.LineIn(number, units) for number, units in lines],
            submit=submit,
            max_age_days=MAX_AGE_DAYS,
            idempotency_key=key,
            now=NOW,
        )

    async def approve(self, sheet_id: int, *, by: str = "g1-b") -> council.Sheet:
        return await self.tx.write(
            services.approve_sheet, self.members[by], sheet_id=sheet_id, now=NOW
        )

    async def approved(
        self, lines: Sequence[tuple[str, int]] = (("P-1", 1),), *, day: date = DAY
    ) -> council.Sheet:
        """A sheet drafted and submitted by g1-a and approved by g1-b."""
        return await self.approve((await self.draft(lines, day=day)).id)

    async def taken_back(
        self,
        propose: Callable[..., Awaitable[council.Takeback]],
        *,
        by: Principal | None = None,
        confirmer: str = "g1-b",
        **inputs: object,
    ) -> council.Takeback:
        """Points taken back with four eyes: ``by`` (g1-a unless given) proposes with
        ``propose`` (a reversal or a correction), council member ``confirmer`` confirms."""
        proposal = await self.tx.write(propose, by or self.members["g1-a"], **inputs, now=NOW)
        assert proposal.status == "proposed"
        return await self.tx.write(
            services.confirm_takeback, self.members[confirmer], takeback_id=proposal.id, now=NOW
        )

    async def posted(self, number: str) -> int:
        async def query(conn: AsyncConnection) -> int:
            passbook = await community.find_passbook(conn, number)
            assert passbook is not None
            return (await ledger.get_balance(conn, passbook.account_id)).posted

        return await self.tx.read(query)

    async def verify(self) -> ledger.VerifyReport:
        return await self.tx.read(ledger.verify_books)


@pytest.fixture
async def world(engine: AsyncEngine) -> World:
    async def setup(conn: AsyncConnection) -> tuple[dict[str, Principal], dict[str, str]]:
        units = [
            await community.add_org_unit(conn, code="street", name="街道", kind="street"),
            await community.add_org_unit(
                conn, code="comm", name="社区", kind="community", parent_code="street"
            ),
        ]
        for grid in ("g1", "g2"):
            units.append(
                await community.add_org_unit(
                    conn, code=grid, name=f"网格 {grid}", kind="grid", parent_code="comm"
                )
            )
        for number, grid in (("P-1", "g1"), ("P-2", "g1"), ("P-3", "g2"), ("P-9", "g1")):
            await community.register_volunteer(
                conn, passbook_number=number, name=f"志愿者 {number}", grid_code=grid
            )
        members = {}
        for code, grid, passbook in MEMBERS:
            found = await community.add_council_member(
                conn, code=code, name=f"委员 {code}", grid_code=grid, passbook_number=passbook
            )
            members[code] = member(found)
        await council.add_rule(
            conn,
            code="visit",
            name="入户走访 home visit",
            category="care",
            points_per_unit=5,
            unit="visit",
            daily_cap_units=2,
            valid_from=date(2026, 1, 1),
            valid_to=None,
            org_code="street",
            actor="test",
        )
        return members, {unit.code: unit.path for unit in units}

    members, paths = await db.run_in_transaction(engine, setup)
    return World(db.Transactions(engine), members, paths)
