"""The scope rules the exchange's use cases share, each refusing with the sentence the API has
always answered.

Invariant: an admin acts on a reward, a ballot or an org unit only if it lies in the admin's
own org unit (its subtree); a passbook's voucher or redemption is seen or changed only by its
holder or an admin acting for them, and that refusal names no passbook.
"""

from __future__ import annotations

import access
from access import Principal, Role
from i18n import Message, _

__all__ = ["outside_admin_scope", "require_admin_of"]


def require_admin_of(principal: Principal, path: str, refusal: str | Message) -> None:
    """Refuse with ``refusal`` unless ``principal`` is an admin over the org unit at ``path``."""
    access.require_role(principal, Role.ADMIN)
    if not access.admin_over(principal, path):
        raise access.Forbidden(refusal)


def outside_admin_scope(principal: Principal, what: str | Message, path: str) -> Message:
    """The refusal for ``what`` (as the caller named it), which belongs to the unit at ``path``."""
    return _(
        "{what} belongs to {path}, outside this admin token's scope ({scope}).",
        what=what,
        path=path,
        scope=principal.scope,
    )
