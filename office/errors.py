"""The street office's errors, its branch of the one error tree (:class:`db.DomainError`)::

    OfficeError                 invalid
    ├── BooksNotEmpty           conflict  (``passbook init`` on books that hold data; figures)
    ├── OrgUnitNotEmpty         conflict  (closing a unit that still has people or work; figures)
    ├── SignInCodeMalformed     invalid   (a typed code that cannot be one: never counted)
    ├── SignInCodeLifeInvalid   invalid   (a code asked to live too short or too long a time)
    ├── SignInCodeRefused       unauthenticated (unknown, used, expired or revoked: never which)
    ├── SignInCodeThrottled     throttled (too many wrong codes from one address; retry_after)
    ├── SignInCodeNotFound      not found (no sign-in code has this id)
    └── SignInCodeNotOpen       conflict  (revoking a code already used, revoked or expired)

    BooksOpenRace (db.Retryable) two openings at once; the runner runs the loser again, which
                                 then finds the books opened
    SignInCodeRace (db.Retryable) a code claimed by a concurrent exchange after it was read

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


class SignInCodeMalformed(OfficeError):
    """A typed sign-in code that cannot be one (wrong length or letters); nothing is counted."""

    code = "sign_in_code_malformed"


class SignInCodeLifeInvalid(OfficeError):
    """A sign-in code asked to live less than a minute or longer than allowed."""

    code = "sign_in_code_life_invalid"


class SignInCodeRefused(OfficeError):
    """The one answer to a code that is unknown, used, expired or revoked: never which."""

    code = "sign_in_code_refused"
    category = Category.UNAUTHENTICATED


class SignInCodeThrottled(OfficeError):
    """Too many wrong codes from one client address: wait ``retry_after`` seconds."""

    code = "sign_in_code_throttled"
    category = Category.THROTTLED


class SignInCodeNotFound(OfficeError):
    code = "sign_in_code_not_found"
    category = Category.NOT_FOUND


class SignInCodeNotOpen(OfficeError):
    """Revoking a code that was already used, revoked or has expired."""

    code = "sign_in_code_not_open"
    category = Category.CONFLICT


class SignInCodeRace(Retryable):
    """A concurrent exchange claimed the code first; the runner runs the loser again, which
    then finds the code used."""


class BooksOpenRace(Retryable):
    """A concurrent ``passbook init`` opened the books first."""


__all__ = [
    "BooksNotEmpty",
    "BooksOpenRace",
    "OfficeError",
    "OrgUnitNotEmpty",
    "SignInCodeLifeInvalid",
    "SignInCodeMalformed",
    "SignInCodeNotFound",
    "SignInCodeNotOpen",
    "SignInCodeRace",
    "SignInCodeRefused",
    "SignInCodeThrottled",
]
