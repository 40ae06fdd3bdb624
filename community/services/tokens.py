"""The operator: the principal the command line acts as when it holds the database itself.

Credentials are issued, listed and revoked by ``office`` (``office.issue_credential`` and its
neighbours), because checking a merchant's scope needs the rewards' tables, which the registry
may not read; a volunteer's own sign-in is :func:`community.services.sign_in`.
"""

from __future__ import annotations

from access import Principal, Role

OPERATOR = Principal(
    token_id=0, role=Role.ADMIN, scope="", label="operator", recorded_as="cli:operator"
)
"""The operator at the command line, who holds the database itself: may make, list and revoke
any credential and read the whole book, and as an admin is over no org unit (its scope names
none)."""


__all__ = ["OPERATOR"]
