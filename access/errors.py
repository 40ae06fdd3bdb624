"""Errors of credentials and scope, in the one error tree (:class:`db.DomainError`)::

AccessError
├── CredentialError    a credential that cannot be made as asked       (invalid)
├── MissingInput       the request leaves out what this principal must say (invalid)
└── Forbidden          this principal's role or scope does not allow it (forbidden)
"""

from __future__ import annotations

from db import Category, DomainError


class AccessError(DomainError):
    code = "access_error"


class CredentialError(AccessError):
    code = "invalid_token_request"


class Forbidden(AccessError):
    code = "forbidden"
    category = Category.FORBIDDEN
