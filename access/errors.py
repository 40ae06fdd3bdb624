"""Errors of credentials and scope, in the one error tree (:class:`db.DomainError`)::

AccessError
├── CredentialError          a credential that cannot be made as asked          (invalid)
│   ├── UnknownScope         its scope names no org unit, member, passbook or merchant (invalid)
│   └── ClosedScope          its scope is a closed org unit or a member who left (conflict)
├── TokenNotFound            no credential has this id                          (not found)
└── Forbidden                this principal's role or scope does not allow it   (forbidden)
    └── CredentialOutOfReach an admin asks for, sees or revokes a credential it does not
                             manage (above or beside its unit, a volunteer's, a merchant's
                             below the street)                                  (forbidden)
"""

from __future__ import annotations

from db import Category, DomainError


class AccessError(DomainError):
    code = "access_error"


class CredentialError(AccessError):
    code = "invalid_token_request"


class UnknownScope(CredentialError):
    code = "unknown_credential_scope"


class ClosedScope(CredentialError):
    code = "credential_scope_closed"
    category = Category.CONFLICT


class TokenNotFound(AccessError):
    code = "token_not_found"
    category = Category.NOT_FOUND


class Forbidden(AccessError):
    code = "forbidden"
    category = Category.FORBIDDEN


class CredentialOutOfReach(Forbidden):
    code = "credential_out_of_reach"
