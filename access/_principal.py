"""Who is acting: a role and the scope it holds. Four eyes compare people, so a council
principal names its council member; the books record :attr:`Principal.actor`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from i18n import Message, _


class Role(enum.StrEnum):
    ADMIN = "admin"
    COUNCIL = "council"
    VOLUNTEER = "volunteer"
    MERCHANT = "merchant"
    AUDITOR = "auditor"


_ROLE_WORDS: dict[Role, Message] = {
    Role.ADMIN: _("admin"),
    Role.COUNCIL: _("council"),
    Role.VOLUNTEER: _("volunteer"),
    Role.MERCHANT: _("merchant"),
    Role.AUDITOR: _("auditor"),
}


def role_word(role: Role) -> Message:
    """A role as a word of the reader's language, for a sentence that names it."""
    return _ROLE_WORDS[role]


ORG_ROLES = frozenset({Role.ADMIN, Role.COUNCIL, Role.AUDITOR})
"""The roles whose scope is an org unit (a path in the org tree) and its subtree."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a role and the scope it holds (an org path, a passbook number or a
    merchant code)."""

    token_id: int
    role: Role
    scope: str
    label: str
    # The council member a council token speaks for: four eyes compare people, not tokens.
    member_id: int | None = None
    # How the books record an actor that holds no token (the command line names its member).
    recorded_as: str | None = None
    # When the credential last let someone in before this request, as the books noted it (at
    # most once every few minutes); None if never noted or not a token. Not part of who it is.
    last_used_at: datetime | None = field(default=None, compare=False)

    @property
    def actor(self) -> str:
        """How the books record this caller."""
        if self.recorded_as is not None:
            return self.recorded_as
        return f"{self.role}:{self.label}#{self.token_id}"

    @property
    def person(self) -> str:
        """Who this caller is, for four eyes: the council member a council token speaks for,
        the name the command line records, or else the credential itself (staff credentials
        are personal: one per person, never shared)."""
        if self.member_id is not None:
            return f"member:{self.member_id}"
        if self.recorded_as is not None:
            return self.recorded_as
        return f"token:{self.token_id}"

    def key_namespace(self) -> str:
        """Where this caller's idempotency keys live: two council members of one grid are two
        people, so their keys never collide."""
        if self.member_id is not None:
            return f"{self.role}:{self.scope}:member-{self.member_id}"
        return f"{self.role}:{self.scope}"
