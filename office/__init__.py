"""The street office: the use cases that open and run real books across the domain packages.

Opening the books (``passbook init``), keeping the org tree (adding, renaming and closing
communities and grids, which needs to know of open scoring sheets) and managing credentials
(whose scopes may name merchants) each need more than one domain package, so they live here
rather than in any one of them. Every function takes ``(conn, principal, *, inputs)``, checks
its own access rule and runs inside the caller's one transaction, like the services of
``community``, ``council`` and ``rewards``. Nothing in the domain packages imports this one.
"""

from office._credentials import (
    CredentialList,
    IssuedCredential,
    Revocation,
    issue_credential,
    list_credentials,
    manages,
    revoke_credential,
)

__all__ = [
    "CredentialList",
    "IssuedCredential",
    "Revocation",
    "issue_credential",
    "list_credentials",
    "manages",
    "revoke_credential",
]
