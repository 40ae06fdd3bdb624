"""A sentence for people, kept as its English msgid and its values until it is shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from i18n._catalogue import Locale, translate


class Message:
    """The msgid (English, with ``{named}`` placeholders) and the values to put in them.

    ``str()`` gives the English sentence, so logs and English callers see what they always
    saw; :meth:`render` gives it in any language. Values that are themselves messages are
    rendered in the same language."""

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, values: Mapping[str, Any] | None = None) -> None:
        self.msgid = msgid
        self.values: dict[str, Any] = dict(values or {})

    def render(self, locale: Locale) -> str:
        text = translate(self.msgid, locale)
        if not self.values:
            return text
        values = {
            name: value.render(locale) if isinstance(value, Message) else value
            for name, value in self.values.items()
        }
        return text.format(**values)

    def __str__(self) -> str:
        return self.render(Locale.EN)

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.msgid == other.msgid and self.values == other.values
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.msgid)


def _(msgid: str, /, **values: Any) -> Message:
    """Mark ``msgid`` for the catalogue and keep ``values`` for its placeholders."""
    return Message(msgid, values)


def N_(msgid: str, /) -> str:
    """Mark ``msgid`` for the catalogue without making a message (a constant's text)."""
    return msgid


def render(text: str | Message, locale: Locale) -> str:
    """``text`` in ``locale``: a message translated, a plain string as it is (a name, a
    number: words that are not the scheme's own)."""
    return text.render(locale) if isinstance(text, Message) else text
