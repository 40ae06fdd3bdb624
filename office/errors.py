"""The street office's errors, its branch of the one error tree (:class:`db.DomainError`)::

    OfficeError                 invalid
    ├── BooksNotEmpty           conflict  (``passbook init`` on books that hold data; figures)
    └── OrgUnitNotEmpty         conflict  (closing a unit that still has people or work; figures)

    BooksOpenRace (db.Retryable) two openings at once; the runner runs the loser again, which
                                 then finds the books opened

Invariant: a code names one kind of refusal and never changes; the message is for people.
Refusals the registry already draws (a closed unit, a code taken by another kind) stay the
registry's (:mod:`community.errors`).
"""

from __future__ import annotations

from db import Category, DomainError, Retryable


class OfficeError(DomainError):
    code = "office_error"


class BooksNotEmpty(OfficeError):
    """The books already hold data (or were opened): they are opened only once, when empty."""

    code = "books_not_empty"
    category = Category.CONFLICT


class OrgUnitNotEmpty(OfficeError):
    """The unit still has active volunteers, open scoring sheets or open units under it."""

    code = "org_unit_not_empty"
    category = Category.CONFLICT


class BooksOpenRace(Retryable):
    """A concurrent ``passbook init`` opened the books first."""


__all__ = ["BooksNotEmpty", "BooksOpenRace", "OfficeError", "OrgUnitNotEmpty"]
