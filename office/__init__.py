"""The street office: the use cases that open and run real books across the domain packages.

Opening the books (``passbook init``), keeping the org tree (adding, renaming and closing
communities and grids, which needs to know of open scoring sheets) and managing credentials
(whose scopes may name merchants) each need more than one domain package, so they live here
rather than in any one of them. Every function takes ``(conn, principal, *, inputs)``, checks
its own access rule and runs inside the caller's one transaction, like the services of
``community``, ``council`` and ``rewards``. Nothing in the domain packages imports this one.

Modules, one job each: ``_books`` (opening empty books), ``_org_tree`` (the org tree,
managed), ``_credentials`` (credentials, managed), ``_sign_in_codes`` (one-time sign-in codes for staff and counter devices, issued
and exchanged for a credential), ``_reversal`` (the generic reversal of an entry that
belongs to no sheet, grant or voucher, which must ask them all) and ``errors`` (the office's branch of the
error tree).
"""

from office._books import FIRST_ADMIN_LABEL, OpenedBooks, books_contents, open_books
from office._credentials import (
    CredentialList,
    IssuedCredential,
    Revocation,
    issue_credential,
    list_credentials,
    manages,
    require_may_issue,
    revoke_credential,
    sign_out,
)
from office._org_tree import (
    ADDED_KINDS,
    OrgTree,
    OrgUnitAdded,
    OrgUnitView,
    add_org_unit,
    change_org_unit,
    close_org_unit,
    list_org_units,
    rename_org_unit,
)
from office._reversal import entry_owner, reverse_entry
from office._sign_in_codes import (
    LINK_PREFIX,
    SESSION_LIFE,
    CodeRedemption,
    IssuedSignInCode,
    issue_sign_in_code,
    list_sign_in_codes,
    normalise_code,
    redeem_sign_in_code,
    revoke_sign_in_code,
)
from office.errors import (
    BooksNotEmpty,
    BooksOpenRace,
    OfficeError,
    OrgUnitNotEmpty,
    SignInCodeLifeInvalid,
    SignInCodeMalformed,
    SignInCodeNotFound,
    SignInCodeNotOpen,
    SignInCodeRefused,
    SignInCodeThrottled,
)

__all__ = [
    "ADDED_KINDS",
    "FIRST_ADMIN_LABEL",
    "LINK_PREFIX",
    "SESSION_LIFE",
    "BooksNotEmpty",
    "BooksOpenRace",
    "CodeRedemption",
    "CredentialList",
    "IssuedCredential",
    "IssuedSignInCode",
    "OfficeError",
    "OpenedBooks",
    "OrgTree",
    "OrgUnitAdded",
    "OrgUnitNotEmpty",
    "OrgUnitView",
    "Revocation",
    "SignInCodeLifeInvalid",
    "SignInCodeMalformed",
    "SignInCodeNotFound",
    "SignInCodeNotOpen",
    "SignInCodeRefused",
    "SignInCodeThrottled",
    "add_org_unit",
    "books_contents",
    "change_org_unit",
    "close_org_unit",
    "entry_owner",
    "issue_credential",
    "issue_sign_in_code",
    "list_credentials",
    "list_org_units",
    "list_sign_in_codes",
    "manages",
    "normalise_code",
    "open_books",
    "redeem_sign_in_code",
    "rename_org_unit",
    "require_may_issue",
    "reverse_entry",
    "revoke_credential",
    "revoke_sign_in_code",
    "sign_out",
]
