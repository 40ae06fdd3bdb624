"""Use cases on the books as people in the registry see them: a passbook's balance and
statement, a journal entry with the postings the caller may see, and the
whole-book trial balance and verification.

Who may do what: a passbook is read by its holder, the council of its grid and admins and
auditors above it; an entry is shown with only the postings on accounts the caller may see
(and refused if that is none); the whole book is reported to admins and auditors scoped to
the street. Reversing an entry is the street office's (``office.reverse_entry``): it must ask
scoring and the exchange whether a sheet or a voucher owns the entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import ledger
from access import Forbidden, Principal, Role
from i18n import _


@dataclass(frozen=True, slots=True)
class PassbookBalance:
    passbook: community.Passbook
    balance: ledger.Balance


@dataclass(frozen=True, slots=True)
class PassbookStatement:
    passbook: community.Passbook
    page: ledger.StatementPage


@dataclass(frozen=True, slots=True)
class ShownPosting:
    """A posting the caller may see, with the kind of account it is on."""

    posting: ledger.Posting
    account_kind: str


@dataclass(frozen=True, slots=True)
class ShownEntry:
    """A journal entry as the caller may see it: the postings in their scope, and how many
    others it has."""

    entry: ledger.Entry
    postings: list[ShownPosting]
    hidden_postings: int


async def passbook_balance(
    conn: AsyncConnection, principal: Principal, *, number: str
) -> PassbookBalance:
    """A passbook's balances (posted, held, available, earned).

    Who: the holder, the council of its grid, admins and auditors above it. A volunteer
    asking for another number is refused before it is looked up."""
    passbook, balance = await access.passbook_balance_read_by(conn, principal, number)
    return PassbookBalance(passbook, balance)


async def passbook_statement(
    conn: AsyncConnection,
    principal: Principal,
    *,
    number: str,
    limit: int = 20,
    before: int | None = None,
    after: int | None = None,
) -> PassbookStatement:
    """A page of a passbook's statement: the latest lines, or those before or after a line.

    Who: as for :func:`passbook_balance`. Refuses both cursors at once
    (:class:`db.InvalidRequest`)."""
    if before is not None and after is not None:
        raise db.InvalidRequest(_("Give at most one of 'before' and 'after'."))
    passbook = await access.passbook_read_by(conn, principal, number)
    page = await ledger.statement(
        conn, passbook.account_id, limit=limit, before=before, after=after
    )
    return PassbookStatement(passbook, page)


async def show_entry(
    conn: AsyncConnection, principal: Principal, entry: ledger.Entry
) -> ShownEntry:
    """``entry`` with the postings ``principal`` may see; refused if none."""
    ids = [p.account_id for p in entry.postings]
    visible = await access.can_see_accounts(conn, principal, ids)
    if not any(visible.values()):
        raise Forbidden(_("Entry {id} touches no account in this token's scope.", id=entry.id))
    kinds = {a: b.kind for a, b in (await ledger.get_balances(conn, ids)).items()}
    shown = [ShownPosting(p, kinds[p.account_id]) for p in entry.postings if visible[p.account_id]]
    return ShownEntry(entry, shown, len(entry.postings) - len(shown))


async def read_entry(conn: AsyncConnection, principal: Principal, *, entry_id: int) -> ShownEntry:
    """A journal entry, with the postings the caller may see.

    Who: anyone who may see at least one account it touches; refused otherwise."""
    entry = await ledger.load_entry(conn, ledger.EntryId(entry_id))
    return await show_entry(conn, principal, entry)


async def trial_balance(conn: AsyncConnection, principal: Principal) -> ledger.TrialBalance:
    """Totals by account kind; balanced books sum to zero.

    Who: admins and auditors scoped to the street (the whole book)."""
    access.require_role(principal, Role.ADMIN, Role.AUDITOR)
    access.require_whole_books(principal)
    return await ledger.trial_balance(conn)


async def verify_books(conn: AsyncConnection, principal: Principal) -> ledger.VerifyReport:
    """Recompute the books and every hash chain, naming the first broken entry.

    Who: admins and auditors scoped to the street, and the command line's operator."""
    access.require_role(principal, Role.ADMIN, Role.AUDITOR)
    access.require_whole_books(principal)
    return await ledger.verify_books(conn)


__all__ = [
    "PassbookBalance",
    "PassbookStatement",
    "ShownEntry",
    "ShownPosting",
    "passbook_balance",
    "passbook_statement",
    "read_entry",
    "show_entry",
    "trial_balance",
    "verify_books",
]
