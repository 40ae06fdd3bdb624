"""The opening every volunteer page shares, as one dependency: whose passbook it shows, the
reads for it, and the page drawn with the acting-for band.

A handler that shows the subject's passbook declares ``subject: NamedDependency[Subject]``
and states only what it does: ``await subject.read(use_case, ...)`` runs
``use_case(conn, principal, number=<the subject's number>, ...)`` in one read transaction, and
``subject.page(template, holder, ...)`` renders the page with the band of whoever acts for the
holder (:func:`pages.subject.acting`).

Invariants: the number is :func:`pages.subject.subject_number`'s, and nothing else decides it;
a caller with no subject never reaches the handler (:class:`pages.subject.NoSubject`, which
the pages' error handlers answer with :func:`pages.subject.elsewhere`'s redirect).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.response import Template

import db
from access import Principal
from community.services import PassbookBalance
from pages.subject import NoSubject, acting, subject_number
from pages.templating import page

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Subject:
    """The subject's passbook number, with the request, principal and transactions a volunteer
    page reads and answers with."""

    request: Request[Any, Any, Any]
    principal: Principal
    tx: db.Transactions
    number: str

    async def read(self, use_case: Callable[..., Awaitable[T]], /, **values: Any) -> T:
        """``use_case(conn, principal, number=self.number, **values)`` in one read transaction."""
        return await self.tx.read(use_case, self.principal, number=self.number, **values)

    def page(
        self,
        name: str,
        holder: PassbookBalance | None,
        /,
        *,
        status_code: int = 200,
        **context: Any,
    ) -> Template:
        """Template ``name`` for this request, with ``context``; ``holder`` (the subject's
        passbook and balance, when the page read it) names them in the acting-for band."""
        band = None if holder is None else acting(self.principal, holder)
        return page(self.request, name, status_code=status_code, acting=band, **context)


def subject_of(
    request: Request[Any, Any, Any], principal: Principal, tx: db.Transactions
) -> Subject | None:
    """The page's subject, or None when ``principal`` has no passbook to be shown."""
    number = subject_number(request, principal)
    return None if number is None else Subject(request, principal, tx, number)


def provide_subject(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    tx: NamedDependency[db.Transactions],
) -> Subject:
    found = subject_of(request, principal, tx)
    if found is None:
        raise NoSubject(principal)
    return found


SUBJECT = {"subject": Provide(provide_subject, sync_to_thread=False)}
"""The dependency the volunteer pages' router provides (:mod:`pages.routes`)."""

__all__ = ["SUBJECT", "Subject", "subject_of"]
