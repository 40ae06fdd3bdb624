"""Service health, passbook balances and statements, journal entries and whole-book reports.

Who may read or reverse what is checked by the use cases (:mod:`community.services`); the
guards here only refuse a wrong role before any work.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

import db
import i18n
import ledger
import migrations
import office
from access import Principal, Role
from api import schemas
from api.auth import roles, whole_books
from api.problems import problem_response, reader_locale
from api.routes._common import MAX_ID, EntryIdPath, IdempotencyKeyHeader, client_key
from community import services
from i18n import _

NOT_READY_RETRY_AFTER = 10


class NotReady(db.DomainError):
    """The database answers but is not at the schema this release needs."""

    code = "not_ready"
    category = db.Category.UNAVAILABLE


async def _database_answers(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT 1"))


async def _schema_revision(conn: AsyncConnection) -> str | None:
    revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    return None if revision is None else str(revision)


@get(
    "/health",
    exclude_from_auth=True,
    security=[{}],
    tags=["service"],
    summary="Is the service up?",
)
async def health(tx: NamedDependency[db.Transactions]) -> schemas.Health:
    await tx.single_read(_database_answers)
    return schemas.Health(status="ok", database="ok")


@get(
    "/ready",
    exclude_from_auth=True,
    security=[{}],
    tags=["service"],
    summary="Is the service ready for requests: the database answers and its schema is current?",
    responses={503: problem_response("The database cannot be reached or is not migrated.")},
)
async def ready(tx: NamedDependency[db.Transactions]) -> schemas.Ready:
    revision = await tx.single_read(_schema_revision)
    head = migrations.head_revision()
    if revision != head:
        raise NotReady(
            _(
                "The database answers, but its schema is at revision {current}, not {head}: "
                "run passbook migrate, then try again.",
                current=revision or "none",
                head=head,
            ),
            retry_after=NOT_READY_RETRY_AFTER,
        )
    return schemas.Ready(status="ready", database="ok", schema_revision=revision)


@get("/api/me", tags=["service"], summary="Who this token speaks for")
async def me(principal: NamedDependency[Principal]) -> schemas.Me:
    return schemas.Me(role=principal.role, scope=principal.scope, label=principal.label)


class PassbookController(Controller):
    path = "/api/passbooks"
    tags = ["passbooks"]

    @get("/{number:str}", summary="A passbook's balance")
    async def balance(
        self,
        number: FromPath[str],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.PassbookBalance:
        # One statement reads the passbook and its kept balance: no snapshot to hold.
        found = await tx.single_read(services.passbook_balance, principal, number=number)
        passbook, balance = found.passbook, found.balance
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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        limit: int = Parameter(default=20, ge=1, le=ledger.MAX_PAGE),
        before: int | None = Parameter(
            default=None, ge=1, le=MAX_ID, description="line number cursor"
        ),
        after: int | None = Parameter(
            default=None, ge=0, le=MAX_ID, description="line number cursor"
        ),
    ) -> schemas.Statement:
        found = await tx.read(
            services.passbook_statement,
            principal,
            number=number,
            limit=limit,
            before=before,
            after=after,
        )
        passbook, page = found.passbook, found.page
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


def _entry_out(shown: services.ShownEntry) -> schemas.EntryOut:
    entry = shown.entry
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
                account_id=p.posting.account_id,
                account_kind=p.account_kind,
                points=p.posting.amount,
                balance_after=p.posting.balance_after,
            )
            for p in shown.postings
        ],
        hidden_postings=shown.hidden_postings,
        replayed=entry.replayed,
    )


class EntryController(Controller):
    path = "/api/entries"
    tags = ["entries"]

    @get("/{entry_id:int}", summary="A journal entry, with the postings the caller may see")
    async def read(
        self,
        entry_id: EntryIdPath,
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.EntryOut:
        return _entry_out(await tx.read(services.read_entry, principal, entry_id=entry_id))

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
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
        idempotency_header: IdempotencyKeyHeader = None,
    ) -> schemas.EntryOut:
        key = client_key(principal, idempotency_header)
        reversal = await tx.write(
            office.reverse_entry,
            principal,
            entry_id=entry_id,
            reason=data.reason,
            idempotency_key=key,
        )
        return _entry_out(reversal)


class BooksController(Controller):
    path = "/api/books"
    tags = ["books"]
    guards = [roles(Role.ADMIN, Role.AUDITOR), whole_books]

    @get("/trial-balance", summary="Totals by account kind; balanced books sum to zero")
    async def trial_balance(
        self, principal: NamedDependency[Principal], tx: NamedDependency[db.Transactions]
    ) -> schemas.TrialBalance:
        tb = await tx.read(services.trial_balance, principal)
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
    async def verify(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        tx: NamedDependency[db.Transactions],
    ) -> schemas.VerifyReport:
        report = await tx.read(services.verify_books, principal)
        return verify_report(report, reader_locale(request))


def verify_report(
    report: ledger.VerifyReport, locale: i18n.Locale = i18n.API_DEFAULT
) -> schemas.VerifyReport:
    return schemas.VerifyReport(
        ok=report.ok,
        entries=report.entries,
        postings=report.postings,
        accounts=report.accounts,
        holds=report.holds,
        digest=report.digest,
        first_broken_entry=report.first_broken_entry,
        problems=[
            schemas.VerifyProblem(
                entry_id=p.entry_id,
                account_id=p.account_id,
                message=i18n.render(p.message, locale),
            )
            for p in report.problems[:100]
        ],
    )


ROUTES: list[Any] = [health, ready, me, PassbookController, EntryController, BooksController]
