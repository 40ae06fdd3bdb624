"""Service health, passbook balances and statements, journal entries and whole-book reports."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
from access import Principal, Role, can_see_accounts, may_read_passbook
from api import schemas
from api.auth import roles, whole_books
from api.routes._common import MAX_ID, EntryIdPath, IdempotencyKeyHeader, idempotency_key


@get(
    "/health",
    exclude_from_auth=True,
    security=[{}],
    tags=["service"],
    summary="Is the service up?",
)
async def health(engine: NamedDependency[AsyncEngine]) -> schemas.Health:
    async with engine.connect() as conn:
        conn = await conn.execution_options(passbook_write=False)
        await conn.execute(text("SELECT 1"))
        await conn.rollback()
    return schemas.Health(status="ok", database="ok")


@get("/api/me", tags=["service"], summary="Who this token speaks for")
async def me(request: Request[Principal, str, State]) -> schemas.Me:
    principal = request.user
    return schemas.Me(role=principal.role, scope=principal.scope, label=principal.label)


async def _readable_passbook(
    conn: AsyncConnection, principal: Principal, number: str
) -> community.Passbook:
    if principal.role is Role.VOLUNTEER and principal.scope != number:
        raise PermissionDeniedException("A volunteer can read only their own passbook.")
    passbook = await community.find_passbook(conn, number)
    if passbook is None:
        raise community.PassbookNotFound(
            f"No passbook numbered {number!r}. Check the number on the cover."
        )
    if not may_read_passbook(principal, passbook):
        raise PermissionDeniedException(
            f"Passbook {number} belongs to grid {passbook.grid_name}, outside this token's scope."
        )
    return passbook


class PassbookController(Controller):
    path = "/api/passbooks"
    tags = ["passbooks"]

    @get("/{number:str}", summary="A passbook's balance")
    async def balance(
        self,
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.PassbookBalance:
        async with db.read_transaction(engine) as conn:
            passbook = await _readable_passbook(conn, request.user, number)
            balance = await ledger.get_balance(conn, passbook.account_id)
        return schemas.PassbookBalance(
            number=passbook.number,
            holder=passbook.holder_name,
            grid=schemas.GridRef(code=passbook.grid_code, name=passbook.grid_name),
            posted=balance.posted,
            held=balance.held,
            available=balance.available,
            lifetime_earned=balance.lifetime_earned,
            lines=balance.posting_count,
        )

    @get("/{number:str}/statement", summary="A passbook's statement, a page at a time")
    async def statement(
        self,
        number: FromPath[str],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        limit: int = Parameter(default=20, ge=1, le=ledger.MAX_PAGE),
        before: int | None = Parameter(
            default=None, ge=1, le=MAX_ID, description="line number cursor"
        ),
        after: int | None = Parameter(
            default=None, ge=0, le=MAX_ID, description="line number cursor"
        ),
    ) -> schemas.Statement:
        if before is not None and after is not None:
            raise ValidationException("Give at most one of 'before' and 'after'.")
        async with db.read_transaction(engine) as conn:
            passbook = await _readable_passbook(conn, request.user, number)
            page = await ledger.statement(
                conn, passbook.account_id, limit=limit, before=before, after=after
            )
        return schemas.Statement(
            number=passbook.number,
            holder=passbook.holder_name,
            lines=[
                schemas.StatementLine(
                    line=line.seq,
                    date=line.effective_date,
                    recorded_at=line.created_at,
                    kind=line.kind,
                    what_for=line.memo,
                    points=line.amount,
                    balance=line.balance_after,
                    entry_id=line.entry_id,
                    reverses_entry_id=line.reverses_entry_id,
                )
                for line in page.lines
            ],
            earlier=page.earlier,
            later=page.later,
        )


async def _entry_out(
    conn: AsyncConnection, principal: Principal, entry: ledger.Entry
) -> schemas.EntryOut:
    ids = [p.account_id for p in entry.postings]
    visible = await can_see_accounts(conn, principal, ids)
    if not any(visible.values()):
        raise PermissionDeniedException(
            f"Entry {entry.id} touches no account in this token's scope."
        )
    kinds = {a: b.kind for a, b in (await ledger.get_balances(conn, ids)).items()}
    shown = [p for p in entry.postings if visible[p.account_id]]
    return schemas.EntryOut(
        id=entry.id,
        kind=entry.kind,
        memo=entry.memo,
        actor=entry.actor,
        recorded_at=entry.created_at,
        date=entry.effective_date,
        reverses_entry_id=entry.reverses_entry_id,
        postings=[
            schemas.PostingOut(
                account_id=p.account_id,
                account_kind=kinds[p.account_id],
                points=p.amount,
                balance_after=p.balance_after,
            )
            for p in shown
        ],
        hidden_postings=len(entry.postings) - len(shown),
        replayed=entry.replayed,
    )


class EntryController(Controller):
    path = "/api/entries"
    tags = ["entries"]

    @get("/{entry_id:int}", summary="A journal entry, with the postings the caller may see")
    async def read(
        self,
        entry_id: EntryIdPath,
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
    ) -> schemas.EntryOut:
        async with db.read_transaction(engine) as conn:
            entry = await ledger.load_entry(conn, ledger.EntryId(entry_id))
            return await _entry_out(conn, request.user, entry)

    @post(
        "/{entry_id:int}/reversal",
        guards=[roles(Role.ADMIN)],
        summary="Correct a mistaken entry by posting its reversal",
        status_code=201,
    )
    async def reverse(
        self,
        entry_id: EntryIdPath,
        data: JSONBody[schemas.ReversalIn],
        request: Request[Principal, str, State],
        engine: NamedDependency[AsyncEngine],
        idempotency_header: IdempotencyKeyHeader = None,
    ) -> schemas.EntryOut:
        principal = request.user
        key = idempotency_key(request)

        async def use_case(conn: AsyncConnection) -> schemas.EntryOut:
            original = await ledger.load_entry(conn, ledger.EntryId(entry_id))
            visible = await can_see_accounts(
                conn, principal, [p.account_id for p in original.postings]
            )
            if not all(visible.values()):
                raise PermissionDeniedException(
                    f"Entry {entry_id} touches accounts outside this token's scope; an admin "
                    "of a unit above them all must reverse it."
                )
            reversal = await ledger.reverse_entry(
                conn,
                entry_id=ledger.EntryId(entry_id),
                idempotency_key=key,
                actor=principal.actor,
                memo=data.reason,
            )
            return await _entry_out(conn, principal, reversal)

        return await db.run_in_transaction(engine, use_case)


class BooksController(Controller):
    path = "/api/books"
    tags = ["books"]
    guards = [roles(Role.ADMIN, Role.AUDITOR), whole_books]

    @get("/trial-balance", summary="Totals by account kind; balanced books sum to zero")
    async def trial_balance(self, engine: NamedDependency[AsyncEngine]) -> schemas.TrialBalance:
        async with db.read_transaction(engine) as conn:
            tb = await ledger.trial_balance(conn)
        return schemas.TrialBalance(
            rows=[
                schemas.TrialBalanceRow(
                    kind=r.kind, accounts=r.accounts, posted=r.posted, held=r.held
                )
                for r in tb.rows
            ],
            total=tb.total_posted,
            balanced=tb.balanced,
            entries=tb.entries,
        )

    @get("/verify", summary="Recompute the books and the hash chain")
    async def verify(self, engine: NamedDependency[AsyncEngine]) -> schemas.VerifyReport:
        async with db.read_transaction(engine) as conn:
            report = await ledger.verify_books(conn)
        return verify_report(report)


def verify_report(report: ledger.VerifyReport) -> schemas.VerifyReport:
    return schemas.VerifyReport(
        ok=report.ok,
        entries=report.entries,
        postings=report.postings,
        accounts=report.accounts,
        holds=report.holds,
        digest=report.digest,
        first_broken_entry=report.first_broken_entry,
        problems=[
            schemas.VerifyProblem(entry_id=p.entry_id, account_id=p.account_id, message=p.message)
            for p in report.problems[:100]
        ],
    )


ROUTES: list[Any] = [health, me, PassbookController, EntryController, BooksController]
