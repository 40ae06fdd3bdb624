"""The registry's small words inside its messages (a unit's kind, a list of differences), so a
sentence shown in Chinese has no English word left in it.

Invariant: each word is a message of the catalogue, rendered in the language of the sentence
that holds it; English renders exactly the word the code always said.
"""

from __future__ import annotations

from collections.abc import Sequence

from i18n import Message, _

_KINDS: dict[str, Message] = {
    "street": _("street"),
    "community": _("community"),
    "grid": _("grid"),
}


def kind_word(kind: str) -> str | Message:
    """An org unit's kind as a word of the reader's language (an unknown kind as it is)."""
    return _KINDS.get(kind, kind)


def listed(items: Sequence[str | Message]) -> str | Message:
    """``a, b, c`` in the reader's language (Chinese joins with 、)."""
    if not items:
        return ""
    joined: str | Message = items[-1]
    for item in reversed(items[:-1]):
        joined = _("{first}, {rest}", first=item, rest=joined)
    return joined


def listed_by_semicolons(items: Sequence[str | Message]) -> str | Message:
    """``a; b; c`` in the reader's language (Chinese joins with ；)."""
    if not items:
        return ""
    joined: str | Message = items[-1]
    for item in reversed(items[:-1]):
        joined = _("{first}; {rest}", first=item, rest=joined)
    return joined
