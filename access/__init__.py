"""Roles, principals, credentials and the named scope checks: who may do what.

Knows no HTTP: the API's middleware turns a bearer token into a :class:`Principal` with
:func:`find_principal`, and every use case checks its rule with the checks here, so the API,
the pages and the command line apply one rule, written once. Uses the registry
(:mod:`community`) to resolve scopes and never imports a domain package above it.

Errors (the access branch of :class:`db.DomainError`) are drawn in :mod:`access.errors`.
"""

from access._checks import (
    OUTSIDE_ADMIN_SCOPE,
    admin_over,
    can_see_accounts,
    council_member_administered_by,
    find_passbook,
    grid_administered_by,
    may_act_for,
    may_read_passbook,
    org_unit_in_scope,
    org_unit_in_scope_of,
    org_unit_listed_for,
    passbook_acted_for,
    passbook_read_by,
    require_acts_for_number,
    require_admin_over,
    require_council_member,
    require_in_scope,
    require_role,
    require_sees_volunteers,
    require_whole_books,
    volunteer_administered_by,
    volunteer_seen_by,
)
from access._credentials import (
    SIGNED_IN,
    TOKEN_PREFIX,
    create_token,
    expires_in,
    find_principal,
    hash_token,
    revoke_sign_ins,
)
from access._principal import ORG_ROLES, Principal, Role
from access._tables import ApiTokenRow, api_token
from access.errors import AccessError, CredentialError, Forbidden

__all__ = [
    "ORG_ROLES",
    "OUTSIDE_ADMIN_SCOPE",
    "SIGNED_IN",
    "TOKEN_PREFIX",
    "AccessError",
    "ApiTokenRow",
    "CredentialError",
    "Forbidden",
    "Principal",
    "Role",
    "admin_over",
    "api_token",
    "can_see_accounts",
    "council_member_administered_by",
    "create_token",
    "expires_in",
    "find_passbook",
    "find_principal",
    "grid_administered_by",
    "hash_token",
    "may_act_for",
    "may_read_passbook",
    "org_unit_in_scope",
    "org_unit_in_scope_of",
    "org_unit_listed_for",
    "passbook_acted_for",
    "passbook_read_by",
    "require_acts_for_number",
    "require_admin_over",
    "require_council_member",
    "require_in_scope",
    "require_role",
    "require_sees_volunteers",
    "require_whole_books",
    "revoke_sign_ins",
    "volunteer_administered_by",
    "volunteer_seen_by",
]
